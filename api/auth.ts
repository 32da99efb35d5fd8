import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer API keys. Keys are compared as SHA-256 digests with timingSafeEqual, against every
 * configured key without stopping early, so timing tells nothing about a key.
 */
export function requireApiKey(keys: string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    let ok = false;
    if (match) {
      const given = digest(match[1]);
      for (const key of digests) ok = timingSafeEqual(given, key) || ok;
    }
    if (!ok) {
      res.set('WWW-Authenticate', 'Bearer');
      next(new AppError(401, 'unauthorized', 'a valid API key is required: Authorization: Bearer <key>'));
      return;
    }
    next();
  };
}
