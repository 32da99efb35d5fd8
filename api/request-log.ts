// One log line per request once its response is done: method, route (api/matched-route.ts),
// status, duration, and the journey and customer the route names. Never the URL itself.
import type { Request, RequestHandler, Response } from 'express';
import { logger } from '../lib/logger';
import type { InboxAuth } from './inbox-auth';
import { matchedRoute } from './matched-route';

/** Probes answer every few seconds: their lines are debug, out of the way. */
const PROBES = new Set(['/healthz', '/readyz']);

export const requestLog: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.once('close', () => {
    const fields = { ...requestFields(req, res), status: res.statusCode, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    // A client that went away before the response was done (an inbox stream closed, mostly).
    const aborted = res.writableFinished ? {} : { aborted: true };
    logger[PROBES.has(req.path) ? 'debug' : 'info']({ ...fields, ...aborted }, 'request');
  });
  next();
};

/** What identifies a request in its log lines; the error middleware logs a failure with them too. */
export function requestFields(req: Request, res: Response): Record<string, string> {
  const matched = matchedRoute(req);
  const ids: { journeyId?: string; customerId?: string } = {};
  if (matched) {
    const { route, params } = matched;
    const { id, customerId } = params;
    if (typeof customerId === 'string') ids.customerId = customerId;
    // `:id` is a journey under /journeys and /code-journeys, a customer under /customers.
    if (typeof id === 'string' && /^\/v1\/(code-)?journeys\//.test(route)) ids.journeyId = id;
    if (typeof id === 'string' && route.startsWith('/v1/customers/')) ids.customerId = id;
  }
  // An inbox request is for the customer its token names.
  ids.customerId ??= (res.locals.inbox as InboxAuth | undefined)?.customerId;
  return {
    method: req.method,
    ...(matched ? { route: matched.route } : { path: req.path }),
    ...(ids.journeyId ? { journeyId: ids.journeyId } : {}),
    ...(ids.customerId ? { customerId: ids.customerId } : {}),
  };
}
