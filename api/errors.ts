// Application errors carry their HTTP status; one middleware turns every error into JSON.
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { fieldPath } from '../core/field-path';
import { logger } from '../lib/logger';
import { requestFields } from './request-log';

const fieldErrorSchema = z.object({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** The body of every error answer (the OpenAPI document's error shape). */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Each wrong field of a 400 invalid_request. */
    details: z.array(fieldErrorSchema).optional(),
  }),
});
type ErrorBody = z.infer<typeof errorBodySchema>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} does not exist`);
export const conflict = (message: string) => new AppError(409, 'conflict', message);

export function invalid(details: FieldError[]): AppError {
  const summary = details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join('; ');
  return new AppError(400, 'invalid_request', summary, details);
}

export function fromZod(error: z.ZodError, prefix?: string): AppError {
  return invalid(
    error.issues.map((issue) => ({
      field: fieldPath(prefix ? [prefix, ...issue.path] : issue.path),
      message: issue.message,
    })),
  );
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } } satisfies ErrorBody);
    return;
  }
  // Errors raised by express.json(): malformed or oversized bodies.
  const status = (err as { status?: number }).status;
  const type = (err as { type?: string }).type;
  if (type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
    return;
  }
  if (type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'too_large', message: 'request body is too large' } });
    return;
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ error: { code: 'bad_request', message: (err as Error).message } });
    return;
  }
  logger.error({ err, ...requestFields(req, res) }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
};
