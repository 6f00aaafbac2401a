import { TABLE_COLUMNS, TABLE_NAMES } from "../sink/rows.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import type { ApiQuery } from "./apiParams.js";
import { final, toNumberOrNull } from "./sqlDialect.js";

/** The earliest and latest time recorded in any time column of any table (unix seconds), null when empty. */
export interface RecordedTimeBounds {
  readonly min: number | null;
  readonly max: number | null;
}

/** Every `*_at` / `*_ts` column (unix seconds, rows.ts): the columns a window filters on. */
const TIME_COLUMNS = TABLE_NAMES.flatMap((table) =>
  Object.entries(TABLE_COLUMNS[table])
    .filter(([column, kind]) => kind === "int" && /_(at|ts)$/.test(column))
    .map(([column]) => ({ table, column })),
);

/** One statement: the bounds over every time column, orphaned rows included (bounds only need to cover). */
export async function readRecordedTimeBounds(db: SqlQueryable): Promise<RecordedTimeBounds> {
  const parts = TIME_COLUMNS.map(
    ({ table, column }) =>
      `SELECT min(${column}) AS lo, max(${column}) AS hi FROM ${table}${final(db)} WHERE ${column} IS NOT NULL`,
  );
  const [row] = await db.query<{ lo: unknown; hi: unknown }>(
    `SELECT min(lo) AS lo, max(hi) AS hi FROM (${parts.join(" UNION ALL ")}) AS b`,
  );
  return { min: toNumberOrNull(row?.lo), max: toNumberOrNull(row?.hi) };
}

/**
 * The cache key of an answer at one data version. Every windowed query filters a time column with
 * `gte <= t AND t < lt` and uses the window no other way, so a window that starts at or before the
 * first recorded time selects the same rows as any other such window, and likewise one that ends after
 * the last: those bounds are keyed as open. The dashboard's "last 24 h" (its end moving with the
 * clock, past the newest block) then asks one question per start, whoever asks and whenever.
 */
export function answerCacheKey(path: string, q: ApiQuery, bounds: RecordedTimeBounds): string {
  const gte = bounds.min === null || q.range.gte <= bounds.min ? "open" : q.range.gte;
  const lt = bounds.max === null || q.range.lt > bounds.max ? "open" : q.range.lt;
  return `${path}?${JSON.stringify({ ...q, range: { gte, lt } })}`;
}
