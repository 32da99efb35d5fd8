import type { Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../core/journey-definition';
import { fromZod, invalid } from './errors';

/** Parses untrusted input; a failure becomes a 400 naming each wrong field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, prefix);
  return result.data;
}

/** A resource ID from the URL path. */
export function pathId(value: unknown, name: string): string {
  return parse(idSchema, value, name);
}

/** The request's JSON body; a request with none (or not sent as application/json) is refused. */
export function requestBody(req: Request): unknown {
  if (req.body === undefined) {
    throw invalid([{ field: '', message: 'the request has no JSON body: send a JSON object with Content-Type: application/json' }]);
  }
  return req.body;
}
