// How a place in a JSON document is written in error messages. Pure; the API's 400s and the
// cairn CLI's file checks name fields the same way.

/** "steps.2.next" → "steps[2].next": the way people write paths into JSON. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** "steps[2].next" → ['steps', 2, 'next']: the inverse of fieldPath, for paths it wrote. */
export function parseFieldPath(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}
