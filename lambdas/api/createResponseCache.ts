export interface ResponseCacheParameters {
  /** How long an answer is reused. */
  readonly ttlMs: number;
  /** Entries kept at most; the oldest goes first. @default 1000 */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch. */
  readonly nowMs: () => number;
}

export interface ResponseCache {
  /** The answer cached under `key` while fresh; otherwise `compute`'s, shared with every caller that asks meanwhile. */
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
  readonly stats: { hits: number; misses: number };
}

/**
 * Answers kept per key for a time, inside one process (one Lambda instance). Concurrent misses on a
 * key share one computation, so a burst of dashboards at expiry still runs the queries once; a
 * failed computation is not kept, so the next request tries again.
 */
export function createResponseCache(parameters: ResponseCacheParameters): ResponseCache {
  const maxEntries = parameters.maxEntries ?? 1000;
  const entries = new Map<string, { readonly expiresAtMs: number; readonly value: Promise<unknown> }>();
  const stats = { hits: 0, misses: 0 };
  return {
    stats,
    get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const now = parameters.nowMs();
      const entry = entries.get(key);
      if (entry !== undefined && entry.expiresAtMs > now) {
        stats.hits++;
        return entry.value as Promise<T>;
      }
      stats.misses++;
      entries.delete(key);
      // Map keeps insertion order: the first key is the oldest.
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const value = compute();
      const stored = { expiresAtMs: now + parameters.ttlMs, value };
      entries.set(key, stored);
      value.catch(() => {
        if (entries.get(key) === stored) entries.delete(key);
      });
      return value;
    },
  };
}
