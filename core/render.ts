// Handlebars rendering of template content. Pure: no I/O; used by the send activity and by
// the API to check templates before they are saved.
import Handlebars from 'handlebars';
import type { TemplateContent } from './template-content';

/** Fields holding HTML are escaped; every other field is plain text and is not. */
const HTML_FIELDS = new Set(['html']);

export interface RenderContext {
  customer: Record<string, unknown>;
  journey: { id: string };
}

export function renderContext(
  customer: { _id: string; email?: string; timeZone?: string; attributes: Record<string, unknown> },
  journeyId: string,
): RenderContext {
  return {
    customer: { ...customer.attributes, id: customer._id, email: customer.email, timeZone: customer.timeZone },
    journey: { id: journeyId },
  };
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

function compiled(field: string, source: string): HandlebarsTemplateDelegate {
  const cacheKey = `${field}\u0000${source}`;
  let template = cache.get(cacheKey);
  if (!template) {
    template = Handlebars.compile(source, { noEscape: !HTML_FIELDS.has(field), strict: false });
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, template);
  }
  return template;
}

/** Renders every string field of the content. Throws with the field's name when one fails. */
export function renderContent<T extends TemplateContent>(content: T, context: RenderContext): T {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(content)) {
    if (typeof value !== 'string') continue;
    try {
      out[field] = compiled(field, value)(context);
    } catch (err) {
      throw new TemplateSyntaxError(field, (err as Error).message);
    }
  }
  return out as T;
}

/** Names the fields whose Handlebars source does not compile. */
export function templateSyntaxErrors(content: Record<string, unknown>): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  for (const [field, value] of Object.entries(content)) {
    if (typeof value !== 'string') continue;
    try {
      Handlebars.precompile(value);
    } catch (err) {
      errors.push({ field, message: firstLine((err as Error).message) });
    }
  }
  return errors;
}

export class TemplateSyntaxError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`template field "${field}" does not render: ${firstLine(detail)}`);
    this.name = 'TemplateSyntaxError';
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
