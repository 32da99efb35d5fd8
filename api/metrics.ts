// The API's side of the Prometheus metrics (lib/metrics.ts): a timer on every request, labelled
// by the route pattern that answered it, and the /metrics endpoint.
import type { Request, RequestHandler } from 'express';
import { httpRequestDuration, registry } from '../lib/metrics';

/** Times each request; mount first, so it sees every one. */
export function timeRequests(): RequestHandler {
  return (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    const route = capturedRoute(req);
    // 'close': also the requests whose client went away, and inbox streams when they end.
    res.once('close', () => end({ method: req.method, route: route(), status: String(res.statusCode) }));
    next();
  };
}

/**
 * The pattern of the route that answers the request (`/v1/journeys/:id/launch`), never its
 * path: IDs would make a series per customer. Taken when express sets `req.route`, as the
 * mount path (`req.baseUrl`) is then the route's; an error leaving the routers restores
 * `req.baseUrl` before the response ends. No route matched (a 404): `unmatched`.
 */
function capturedRoute(req: Request): () => string {
  let route: Request['route'];
  let pattern = 'unmatched';
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: Request['route']) {
      route = value;
      // A router's own root ('/' under '/v1/events') is the mount path itself.
      if (value) pattern = `${req.baseUrl}${String(value.path)}`.replace(/(.)\/$/, '$1');
    },
  });
  return () => pattern;
}

/** The Prometheus text of this process's registry. */
export const serveMetrics: RequestHandler = async (_req, res) => {
  const text = await registry.metrics();
  res.set('content-type', registry.contentType).send(text);
};
