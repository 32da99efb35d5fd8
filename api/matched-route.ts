// The route that answers a request, noted as Express dispatches to it: request logs and metrics
// label requests by it (`/v1/journeys/:id/launch`), never by their path, which carries IDs and,
// for unsubscribe links and inbox streams, signed tokens.
import type { Request, RequestHandler } from 'express';

export interface MatchedRoute {
  /** The route's pattern, its mount path included; a pattern route is shown by its parameters. */
  route: string;
  params: Request['params'];
}

const matched = new WeakMap<Request, MatchedRoute>();

/**
 * Mount before the routers. Express sets req.route as it dispatches to a route; once an error
 * has left the routers it has restored req.baseUrl and req.params, so they are read then.
 */
export const noteMatchedRoute: RequestHandler = (req, _res, next) => {
  let route: Request['route'];
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: Request['route']) {
      route = value;
      if (!value) return;
      const params = { ...req.params };
      const path = typeof value.path === 'string' ? value.path : Object.keys(params).map((name) => `/:${name}`).join('');
      // A router's own root ('/' under '/v1/events') is the mount path itself.
      matched.set(req, { route: `${req.baseUrl}${path}`.replace(/(.)\/$/, '$1'), params });
    },
  });
  next();
};

/** The route that answered the request; undefined when none matched (a 404). */
export const matchedRoute = (req: Request): MatchedRoute | undefined => matched.get(req);
