import { encodeCursor } from "./cursor.js";

/** One page of a list, newest first; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** Cuts `limit + 1` fetched rows to a page; the extra row only says whether another page exists. */
export function toPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (item: T) => (string | number)[],
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
