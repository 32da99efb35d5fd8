// The API's side of the Prometheus metrics (lib/metrics.ts): a timer on every request, labelled
// by the route pattern that answered it, and the /metrics endpoint.
import type { RequestHandler } from 'express';
import { httpRequestDuration, registry } from '../lib/metrics';
import { matchedRoute } from './matched-route';

/** Times each request, labelled by the route that answered it (`unmatched`: none, a 404). */
export function timeRequests(): RequestHandler {
  return (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    // 'close': also the requests whose client went away, and inbox streams when they end.
    res.once('close', () => end({ method: req.method, route: matchedRoute(req)?.route ?? 'unmatched', status: String(res.statusCode) }));
    next();
  };
}

/** The Prometheus text of this process's registry. */
export const serveMetrics: RequestHandler = async (_req, res) => {
  const text = await registry.metrics();
  res.set('content-type', registry.contentType).send(text);
};
