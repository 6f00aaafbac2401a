export interface ResponseCacheParameters {
  /** How long an answer is reused when there is no `dataVersion`. */
  readonly ttlMs: number;
  /** Entries kept at most; the oldest goes first. @default 1000 */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch. */
  readonly nowMs: () => number;
  /**
   * The store's data version (SqlQueryable.dataVersion). Given, an answer is reused exactly while the
   * version is unchanged — however long that is — and never after: the TTL does not apply.
   */
  readonly dataVersion?: () => Promise<string | undefined>;
}

export interface ResponseCache {
  /** The answer cached under `key` while valid; otherwise `compute`'s, shared with every caller that asks meanwhile. */
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
  readonly stats: { hits: number; misses: number };
}

interface Entry {
  /** The data version it was computed at (versioned caches), or the TTL's end. */
  readonly version: string | undefined;
  readonly expiresAtMs: number;
  readonly value: Promise<unknown>;
}

/**
 * Answers kept per key inside one process (one Lambda instance). Concurrent misses on a key share one
 * computation, so a burst of dashboards still runs the queries once; a failed computation is not kept,
 * so the next request tries again.
 *
 * With a data version the cache is exact: an entry answers only requests that see the version it was
 * computed at, and an answer is dropped when the version moved while it was computed (a write landed
 * between its statements), so a cached answer is always one the store gave at that version.
 */
export function createResponseCache(parameters: ResponseCacheParameters): ResponseCache {
  const maxEntries = parameters.maxEntries ?? 1000;
  const { dataVersion } = parameters;
  const entries = new Map<string, Entry>();
  const stats = { hits: 0, misses: 0 };

  function store<T>(key: string, version: string | undefined, compute: () => Promise<T>): Promise<T> {
    stats.misses++;
    entries.delete(key);
    // Map keeps insertion order: the first key is the oldest.
    while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    const value = compute();
    const stored: Entry = { version, expiresAtMs: parameters.nowMs() + parameters.ttlMs, value };
    entries.set(key, stored);
    const forget = () => {
      if (entries.get(key) === stored) entries.delete(key);
    };
    value.then(async () => {
      if (dataVersion !== undefined && (await dataVersion().catch(() => undefined)) !== version) forget();
    }, forget);
    return value;
  }

  return {
    stats,
    async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const entry = entries.get(key);
      if (dataVersion === undefined) {
        if (entry !== undefined && entry.expiresAtMs > parameters.nowMs()) {
          stats.hits++;
          return entry.value as Promise<T>;
        }
        return store(key, undefined, compute);
      }
      const version = await dataVersion();
      if (version === undefined) {
        // A write is in flight: its commit may land between the statements, so nothing is kept.
        stats.misses++;
        return compute();
      }
      if (entry !== undefined && entry.version === version) {
        stats.hits++;
        return entry.value as Promise<T>;
      }
      return store(key, version, compute);
    },
  };
}
