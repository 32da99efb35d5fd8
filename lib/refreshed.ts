// A value read at most once per interval, per key: settings and journey flags that many
// requests or sends consult and that may lag their change by that interval. A failed read is
// not kept, so the next call tries again.
export function refreshedEvery<K = void, V = unknown>(ms: number, load: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const entries = new Map<K, { at: number; value: Promise<V> }>();
  return (key) => {
    const now = Date.now();
    let entry = entries.get(key);
    if (!entry || now - entry.at > ms) {
      const fresh = { at: now, value: load(key) };
      fresh.value.catch(() => entries.get(key) === fresh && entries.delete(key));
      entries.set(key, fresh);
      entry = fresh;
    }
    return entry.value;
  };
}
