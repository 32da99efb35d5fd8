// Field-level differences between two JSON documents, for `cairn diff`. Pure. Documents are
// compared as JSON (a field set to undefined is absent; key order does not matter). Arrays of
// objects with distinct `id`s (journey steps, cap rules) are matched by ID, so inserting a step
// shows as one addition rather than a change to every step after it.

export type PathPart = string | number | { id: string };

export interface FieldChange {
  path: PathPart[];
  kind: 'added' | 'removed' | 'changed' | 'reordered';
  before?: unknown;
  after?: unknown;
}

/** The document as JSON would carry it, with keys sorted: equal documents are equal strings. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : canonical(item)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) out[key] = canonical(field);
    }
    return out;
  }
  return value;
}

export const sameDocument = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The IDs of an array whose items are all objects with distinct string `id`s, else undefined. */
function idsOf(items: unknown[]): string[] | undefined {
  const ids = items.map((item) => (isRecord(item) && typeof item.id === 'string' ? item.id : undefined));
  if (ids.some((id) => id === undefined) || new Set(ids).size !== ids.length) return undefined;
  return ids as string[];
}

export function diffDocuments(before: unknown, after: unknown): FieldChange[] {
  return diffAt(canonical(before), canonical(after), []);
}

function diffAt(before: unknown, after: unknown, path: PathPart[]): FieldChange[] {
  if (sameDocument(before, after)) return [];
  if (before === undefined) return [{ path, kind: 'added', after }];
  if (after === undefined) return [{ path, kind: 'removed', before }];
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    return keys.flatMap((key) => diffAt(before[key], after[key], [...path, key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffArrays(before, after, path);
  return [{ path, kind: 'changed', before, after }];
}

function diffArrays(before: unknown[], after: unknown[], path: PathPart[]): FieldChange[] {
  const beforeIds = idsOf(before);
  const afterIds = idsOf(after);
  if (beforeIds && afterIds && before.length > 0 && after.length > 0) {
    const byId = new Map(before.map((item, i) => [beforeIds[i], item]));
    const changes = afterIds.flatMap((id, i) => diffAt(byId.get(id), after[i], [...path, { id }]));
    const removed = beforeIds.filter((id) => !afterIds.includes(id));
    changes.push(...removed.map((id): FieldChange => ({ path: [...path, { id }], kind: 'removed', before: byId.get(id) })));
    const kept = (ids: string[], other: string[]) => ids.filter((id) => other.includes(id));
    const order = { before: kept(beforeIds, afterIds), after: kept(afterIds, beforeIds) };
    if (order.before.join('\0') !== order.after.join('\0')) changes.push({ path, kind: 'reordered', before: order.before, after: order.after });
    return changes;
  }
  const length = Math.max(before.length, after.length);
  return Array.from({ length }, (_, i) => diffAt(before[i], after[i], [...path, i])).flat();
}

/** "steps[id=remind].template", "content.subject", "rules[0].limit". */
export function formatPath(path: readonly PathPart[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    if (typeof part === 'object') return `${out}[id=${part.id}]`;
    return out ? `${out}.${part}` : part;
  }, '');
}
