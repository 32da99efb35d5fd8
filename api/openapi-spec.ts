// How a route module describes its operations for the OpenAPI document (api/openapi.ts): the
// zod schemas it validates with and answers with, who may call it, and the statuses its own
// logic answers. The statuses every operation of a kind answers are added here, once.
import { zodToOpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { idSchema } from '../core/journey-definition';
import { errorBodySchema } from './errors';

/** The credential an operation needs (the security schemes are declared in api/openapi.ts). */
export type Auth = 'apiKey' | 'inboxToken' | 'twilioSignature' | 'none';

export interface Operation {
  method: 'get' | 'put' | 'post' | 'delete';
  /** As the document writes it: `/v1/journeys/{id}`. */
  path: string;
  summary: string;
  description?: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body the route parses, or a body of another media type. */
  body?: z.ZodType | { mediaType: string; schema: z.ZodType; required?: boolean };
  /** The 2xx answers, and any answer that is not in the JSON error shape. */
  ok: Record<number, ResponseConfig>;
  /** Errors of the route's own logic, by what they mean: 404, 409, or a 400 the schema cannot foresee. */
  errors?: Record<number, string>;
}

const AUTH_ERRORS: Record<Auth, Record<number, string>> = {
  apiKey: { 401: 'Missing or unknown API key' },
  inboxToken: { 401: 'Missing, malformed or expired inbox token' },
  twilioSignature: { 403: 'Missing X-Twilio-Signature, or one that does not match the request' },
  none: {},
};

export const SECURITY: Record<Auth, RouteConfig['security']> = {
  apiKey: [{ apiKey: [] }],
  // EventSource cannot set headers, so every inbox route also takes the token as `?token=`.
  inboxToken: [{ inboxToken: [] }, { inboxTokenQuery: [] }],
  twilioSignature: [{ twilioSignature: [] }],
  none: [],
};

/** A JSON answer. */
export const json = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });

/** An answer of another media type, as a string. */
export const text = (description: string, mediaType: string): ResponseConfig => ({ description, content: { [mediaType]: { schema: z.string() } } });

/** A resource ID in the path, as pathId (api/validate.ts) checks it. */
export const idParam = (description: string) => idSchema.meta({ description });

/**
 * Names a schema as a component, in place: the library's `.openapi(name)` would name a copy,
 * which the routes' schemas (and a recursive schema's own references) do not hold.
 */
export function named<S extends z.ZodType>(name: string, schema: S): S {
  const meta = zodToOpenAPIRegistry.get(schema);
  zodToOpenAPIRegistry.add(schema, { ...meta, _internal: { ...meta?._internal, refId: name } });
  return schema;
}

/** The operation as the library registers it, with the statuses every operation of its kind answers. */
export function routeConfig(op: Operation, tag: string): RouteConfig {
  const body = op.body instanceof z.ZodType ? { mediaType: 'application/json', schema: op.body, required: true } : op.body;
  const parsesInput = Boolean(op.params || op.query || body);
  const errors: Record<number, string> = { ...AUTH_ERRORS[op.auth] };
  if (parsesInput) errors[400] = 'Invalid input: `error.details` names each wrong field';
  if (body) {
    // The body parsers' own refusals (express.json, express.urlencoded).
    errors[413] = 'The body is larger than the route accepts';
    errors[415] = 'The body is in a charset or content encoding the route does not read';
  }
  Object.assign(errors, op.errors);
  return {
    method: op.method,
    path: op.path,
    tags: [tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.auth],
    request: {
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(body ? { body: { required: body.required ?? true, content: { [body.mediaType]: { schema: body.schema } } } } : {}),
    },
    responses: {
      ...Object.fromEntries(Object.entries(errors).map(([status, description]) => [status, json(description, errorBodySchema)])),
      // Node's HTTP server refuses a request line and headers over 16 KB itself, without a body.
      ...(op.params || op.query ? { 431: { description: 'The URL and headers exceed 16 KB (answered by the HTTP server, without a body)' } } : {}),
      ...op.ok,
    },
  };
}
