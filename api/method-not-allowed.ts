// 405 Method Not Allowed, with an Allow header, for a method the API does not serve on a path it
// does serve (RFC 9110 §15.5.6), rather than the 404 (or, behind an auth check, the 401) that
// falling through every router would give. The paths and their methods are the OpenAPI
// document's, so the answer and the document agree.
import type { RequestHandler } from 'express';
import { AppError } from './errors';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface PathTemplate {
  pattern: RegExp;
  methods: string[];
  templated: boolean;
}

/** `/v1/journeys/{id}/runs/{customerId}` → a RegExp matching one segment per parameter. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

export function methodNotAllowed(document: { paths: Record<string, object> }): RequestHandler {
  const templates: PathTemplate[] = Object.entries(document.paths).map(([template, item]) => {
    const methods = Object.keys(item).filter((key) => METHODS.includes(key)).map((m) => m.toUpperCase());
    // Express answers HEAD with the GET handler.
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    return { pattern: templatePattern(template), methods, templated: template.includes('{') };
  });
  return (req, res, next) => {
    // OPTIONS is CORS preflight (the inbox answers it) or falls through to 404 as before.
    if (req.method === 'OPTIONS') return next();
    // A path without parameters wins over a template that also matches it (/v1/customers/batch
    // over /v1/customers/{id}), as OpenAPI and the routes order them.
    const all = templates.filter((t) => t.pattern.test(req.path));
    const exact = all.filter((t) => !t.templated);
    const matching = exact.length > 0 ? exact : all;
    if (matching.length === 0 || matching.some((t) => t.methods.includes(req.method))) return next();
    const allowed = [...new Set(matching.flatMap((t) => t.methods))];
    res.set('Allow', allowed.join(', '));
    next(new AppError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}: use ${allowed.join(', ')}`));
  };
}
