// A value read at most once per interval, per key: settings and journey flags that many
// requests or sends consult and that may lag their change by that interval. A failed read is
// not kept, so the next call tries again. `clear()` forgets every value: this process changed
// the data and wants its next read fresh (other processes see the change within the interval).
export function refreshedEvery<K = void, V = unknown>(ms: number, load: (key: K) => Promise<V>): ((key: K) => Promise<V>) & { clear(): void } {
  const entries = new Map<K, { at: number; value: Promise<V> }>();
  const read = (key: K) => {
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
  return Object.assign(read, { clear: () => entries.clear() });
}
