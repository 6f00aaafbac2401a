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

/** The tables that have a time column. */
const TIMED_TABLES = [...new Set(TIME_COLUMNS.map((c) => c.table))];

/** One statement: per table of `tables`, the bounds over its time columns, orphaned rows included (bounds only need to cover). */
async function readTableTimeBounds(
  db: SqlQueryable,
  tables: readonly string[],
): Promise<Map<string, RecordedTimeBounds>> {
  const parts = TIME_COLUMNS.filter((c) => tables.includes(c.table)).map(
    ({ table, column }) =>
      `SELECT '${table}' AS t, min(${column}) AS lo, max(${column}) AS hi FROM ${table}${final(db)} WHERE ${column} IS NOT NULL`,
  );
  const rows = await db.query<{ t: string; lo: unknown; hi: unknown }>(
    `SELECT t, min(lo) AS lo, max(hi) AS hi FROM (${parts.join(" UNION ALL ")}) AS b GROUP BY t`,
  );
  return new Map(rows.map((r) => [r.t, { min: toNumberOrNull(r.lo), max: toNumberOrNull(r.hi) }]));
}

/** The bounds over all of them (a table without a row adds nothing). */
function spanOf(bounds: Iterable<RecordedTimeBounds>): RecordedTimeBounds {
  let min: number | null = null;
  let max: number | null = null;
  for (const b of bounds) {
    if (b.min !== null && (min === null || b.min < min)) min = b.min;
    if (b.max !== null && (max === null || b.max > max)) max = b.max;
  }
  return { min, max };
}

/** One statement: the bounds over every time column of every table. */
export async function readRecordedTimeBounds(db: SqlQueryable): Promise<RecordedTimeBounds> {
  return spanOf((await readTableTimeBounds(db, TIMED_TABLES)).values());
}

/**
 * readRecordedTimeBounds, keeping each table's bounds while its version stands (SqlQueryable.tableVersions):
 * after a new L2 block only the L2 headers' bounds are read again. A store without table versions, or a
 * write in flight, reads every table.
 */
export function createRecordedTimeBounds(db: SqlQueryable): () => Promise<RecordedTimeBounds> {
  const kept = new Map<string, RecordedTimeBounds & { readonly version: string }>();
  return async () => {
    const before = await db.tableVersions?.();
    if (before === undefined) return readRecordedTimeBounds(db);
    const stale = TIMED_TABLES.filter((t) => kept.get(t)?.version !== before(t));
    const fresh = stale.length === 0 ? new Map() : await readTableTimeBounds(db, stale);
    const after = await db.tableVersions?.();
    const now = new Map<string, RecordedTimeBounds>(kept);
    for (const t of stale) {
      const bounds = fresh.get(t) ?? { min: null, max: null };
      now.set(t, bounds);
      // Kept only when no write to the table landed while it was read.
      if (after !== undefined && after(t) === before(t)) kept.set(t, { ...bounds, version: before(t) });
      else kept.delete(t);
    }
    return spanOf(now.values());
  };
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
