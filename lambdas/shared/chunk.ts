/** Limits of one chunk: a request's entry count and, optionally, its payload size. */
export interface ChunkLimits<T> {
  /** Items per chunk, at most. */
  readonly maxItems: number;
  /** Summed `sizeOf` per chunk, at most; an item larger than this alone makes a chunk of one. */
  readonly maxBytes?: number;
  /** @default () => 0 */
  readonly sizeOf?: (item: T) => number;
}

/**
 * Split `items` in order into consecutive chunks within `limits` (SendMessageBatch's 10 entries and
 * 256 KiB, BatchExecuteStatement's 25 statements, a JSON-RPC batch's size, …). Order is kept, so a
 * caller that sends chunks one after another keeps the items' order.
 */
export function chunk<T>(items: readonly T[], limits: ChunkLimits<T>): T[][] {
  if (!(limits.maxItems >= 1)) throw new RangeError(`maxItems must be at least 1, got ${limits.maxItems}`);
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const sizeOf = limits.sizeOf ?? (() => 0);
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length === limits.maxItems || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
