// Inbox tokens: a customer's browser credential for their own inbox, signed with the server's
// secret (core/signed-token.ts) and issued by the site's server through the API-key API.
import type { RequestHandler, Response } from 'express';
import { sign, TOKEN_PROBLEMS, verify } from '../core/signed-token';
import { AppError } from './errors';

export const INBOX_TOKEN_PURPOSE = 'inbox';

export interface InboxAuth {
  customerId: string;
  expiresAt?: Date;
}

export function issueInboxToken(secret: string, customerId: string, expiresAt: Date): string {
  return sign(secret, INBOX_TOKEN_PURPOSE, { customerId }, expiresAt);
}

/**
 * `Authorization: Bearer <token>`, or `?token=` for EventSource, which cannot set headers. A
 * request with an Authorization header is judged by it alone: a bad header is refused even
 * beside a good query token.
 */
export function requireInboxToken(secret: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const token = header !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : typeof req.query.token === 'string' ? req.query.token : undefined;
    const verified = token ? verify(secret, INBOX_TOKEN_PURPOSE, token) : undefined;
    if (!verified?.ok || !verified.payload.customerId) {
      const problem = !verified
        ? header !== undefined
          ? 'is not in the Authorization header as Bearer <inbox token>'
          : 'is missing: send Authorization: Bearer <inbox token>'
        : TOKEN_PROBLEMS[verified.ok ? 'malformed' : verified.reason];
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      next(new AppError(401, 'unauthorized', `the inbox token ${problem}`));
      return;
    }
    res.locals.inbox = { customerId: verified.payload.customerId, expiresAt: verified.expiresAt } satisfies InboxAuth;
    next();
  };
}

/** Who a request past requireInboxToken is for. */
export const inboxAuth = (res: Response): InboxAuth => res.locals.inbox as InboxAuth;
