// Handlebars rendering of template content. Pure: no I/O; used by the send activity, and by
// core/template-check.ts to check templates before they are saved.
import Handlebars from 'handlebars';
import type { Channel } from './channels';
import type { TemplateEvents } from './journey-contract';
import type { TemplateContent } from './template-content';

/** Fields holding HTML are escaped; every other field is plain text and is not. */
const HTML_FIELDS = new Set(['html']);

export interface RenderContext extends TemplateEvents {
  customer: Record<string, unknown>;
  journey: { id: string };
}

/** `events`: the run's entry event and waitForEvent events, as the send activity got them. */
export function renderContext(
  customer: { _id: string; email?: string; timeZone?: string; attributes: Record<string, unknown> },
  journeyId: string,
  events: TemplateEvents = {},
): RenderContext {
  return {
    customer: { ...customer.attributes, id: customer._id, email: customer.email, timeZone: customer.timeZone },
    journey: { id: journeyId },
    ...(events.event ? { event: events.event } : {}),
    events: events.events ?? {},
  };
}

/** Stands for any name in a ContextShape: `events.<stepId>`, whatever the step's ID. */
export const ANY_NAME: unique symbol = Symbol('any name');

/**
 * What a template can read: named fields (or ANY_NAME), `value` for a leaf, `free` where any
 * name may follow.
 */
export type ContextShape = 'free' | 'value' | { readonly [name: string]: ContextShape; readonly [ANY_NAME]?: ContextShape };

/** An event as templates read it (journey-contract TemplateEvent); its properties are free-form. */
const EVENT_SHAPE: ContextShape = { name: 'value', timestamp: 'value', properties: 'free' };

/**
 * The shape of the context a send renders with (renderContext, plus `unsubscribeUrl` for email):
 * the API warns of variables outside it. Customer attributes and event properties are free-form;
 * a template cannot know which journeys use it, so any step ID may follow `events`.
 */
export function renderContextShape(channel: Channel): { readonly [name: string]: ContextShape } {
  return {
    customer: 'free',
    journey: { id: 'value' },
    event: EVENT_SHAPE,
    events: { [ANY_NAME]: EVENT_SHAPE },
    ...(channel === 'email' ? { unsubscribeUrl: 'value' } : {}),
  };
}

/**
 * The helpers a template may call: Handlebars' built-ins, as the renderer registers none of its
 * own. Not `log` (it would write customer data to the worker's console), nor the
 * helperMissing hooks. Anything else is refused at save (core/template-check.ts).
 */
export const TEMPLATE_HELPERS: readonly string[] = ['if', 'unless', 'each', 'with', 'lookup'];

/** Compiles with TEMPLATE_HELPERS only: every other registered helper is turned off. */
export const COMPILE_OPTIONS: CompileOptions = {
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(Handlebars.helpers).map((name) => [name, TEMPLATE_HELPERS.includes(name)])),
};

const cache = new Map<string, HandlebarsTemplateDelegate>();

function compiled(field: string, source: string): HandlebarsTemplateDelegate {
  const cacheKey = `${field}\u0000${source}`;
  let template = cache.get(cacheKey);
  if (!template) {
    template = Handlebars.compile(source, { ...COMPILE_OPTIONS, noEscape: !HTML_FIELDS.has(field), strict: false });
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

export class TemplateSyntaxError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`template field "${field}" does not render: ${firstLine(detail)}`);
    this.name = 'TemplateSyntaxError';
  }
}

export function firstLine(text: string): string {
  return text.split('\n')[0];
}
