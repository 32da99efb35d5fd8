// The kinds of resource a folder holds, each checked with the API's own schemas and checks
// (core/), and mapped to the API: where it lives and which fields of the server's answer the
// folder states (the rest, timestamps and versions, are the server's).
import type { z } from 'zod';
import { capRulesSchema } from '../core/frequency-caps';
import { accountQuietHoursSchema, parseJourneyDefinition } from '../core/journey-definition';
import { segmentBodySchema } from '../core/segment-rules';
import { checkTemplate } from '../core/template-check';
import { templateBodySchema } from '../core/template-content';

export type Kind = 'setting' | 'template' | 'segment' | 'journey';

/** Settings first, then what journeys name, then journeys. */
export const APPLY_ORDER: readonly Kind[] = ['setting', 'template', 'segment', 'journey'];

export interface Issue {
  path: PropertyKey[];
  message: string;
}

/** A document's body as the API takes it, or why it is not one. */
export type Checked = { body: unknown; warnings: Issue[]; issues?: undefined } | { issues: Issue[] };

export interface KindSpec {
  kind: Kind;
  /** The resource's API path. */
  path(id: string): string;
  /** The part of the server's answer (GET of `path`) the folder states. */
  managed(view: Record<string, unknown>): unknown;
}

/** A kind kept one resource a file, in a folder of its own. */
export interface FileKind extends KindSpec {
  kind: 'template' | 'segment' | 'journey';
  folder: string;
  check(document: unknown): Checked;
}

function bySchema(schema: z.ZodType, document: unknown): Checked {
  const result = schema.safeParse(document);
  if (!result.success) return { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) };
  return { body: result.data, warnings: [] };
}

const template: FileKind = {
  kind: 'template',
  folder: 'templates',
  path: (id) => `/v1/templates/${encodeURIComponent(id)}`,
  check(document) {
    const checked = bySchema(templateBodySchema, document);
    if (checked.issues) return checked;
    const body = checked.body as z.infer<typeof templateBodySchema>;
    const { errors, warnings } = checkTemplate(body.channel, body.content);
    const inContent = (notes: { field: string; message: string }[]) => notes.map((n) => ({ path: ['content', n.field], message: n.message }));
    return errors.length > 0 ? { issues: inContent(errors) } : { body, warnings: inContent(warnings) };
  },
  managed: ({ channel, content, tracking }) => ({ channel, content, ...(tracking ? { tracking } : {}) }),
};

const segment: FileKind = {
  kind: 'segment',
  folder: 'segments',
  path: (id) => `/v1/segments/${encodeURIComponent(id)}`,
  check: (document) => bySchema(segmentBodySchema, document),
  managed: ({ name, description, rule }) => ({ name, description, rule }),
};

const journey: FileKind = {
  kind: 'journey',
  folder: 'journeys',
  path: (id) => `/v1/journeys/${encodeURIComponent(id)}`,
  check(document) {
    const parsed = parseJourneyDefinition(document);
    return parsed.issues ? { issues: parsed.issues } : { body: parsed.definition, warnings: [] };
  },
  // The published definition: a draft on the server is not what runs.
  managed: ({ definition }) => definition,
};

const setting: KindSpec = {
  kind: 'setting',
  path: (id) => `/v1/settings/${encodeURIComponent(id)}`,
  managed: (view) => view,
};

export const KINDS: Record<Kind, KindSpec> = { setting, template, segment, journey };
export const FILE_KINDS: readonly FileKind[] = [template, segment, journey];

/**
 * The account settings settings.yaml may state, by key: each is a resource of its own (its ID
 * is its API path's last part). A key left out is not managed; quiet hours set to null are
 * removed.
 */
export const SETTINGS = [
  { key: 'frequencyCaps', id: 'frequency-caps', schema: capRulesSchema, removable: false },
  { key: 'quietHours', id: 'quiet-hours', schema: accountQuietHoursSchema, removable: true },
] as const;

export function checkSetting(setting: (typeof SETTINGS)[number], value: unknown): Checked {
  if (value === null && setting.removable) return { body: null, warnings: [] };
  return bySchema(setting.schema, value);
}
