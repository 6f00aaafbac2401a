import type { SqlQueryable } from "../sink/SqlQueryable.js";
import type { ChainMetricsWindow, DurationStats } from "./chainMetrics.js";

/**
 * The pieces every metric set shares: a DurationStats row (samples, avg, p50, p95) in each dialect,
 * the `$1 since, $2 until` window, and the read of one stats row. Percentiles interpolate linearly
 * between samples in both dialects (DuckDB quantile_cont), so the two sets agree to the row.
 */

/** DuckDB: the DurationStats columns over expression `x`. */
export const DUCKDB_STATS = (x: string): string =>
  `count(${x})::INTEGER AS samples, avg(${x})::DOUBLE AS avg, ` +
  `quantile_cont(${x}, 0.5)::DOUBLE AS p50, quantile_cont(${x}, 0.95)::DOUBLE AS p95`;

/** ClickHouse: linear interpolation between order statistics (DuckDB quantile_cont) over sorted array `s` of length `c`. */
const clickhouseQuantile = (p: number): string => {
  const h = `((c - 1) * ${p})`;
  const lo = `toUInt64(floor(${h}))`;
  return `if(c = 0, NULL, s[${lo} + 1] + (${h} - floor(${h})) * (s[least(${lo} + 2, c)] - s[${lo} + 1]))`;
};

/** ClickHouse: the DurationStats row over the `dt` column of `inner`. */
export const clickhouseStats = (inner: string): string => `
  SELECT toUInt32(c) AS samples, if(c = 0, NULL, a) AS avg, ${clickhouseQuantile(0.5)} AS p50, ${clickhouseQuantile(0.95)} AS p95
  FROM (SELECT arraySort(groupArray(toFloat64(dt))) AS s, length(s) AS c, avg(toFloat64(dt)) AS a FROM (${inner}))`;

/** `column` within the window bound as $1 (since, inclusive) and $2 (until, exclusive). */
export const WINDOW = (column: string): string => `${column} >= $1 AND ${column} < $2`;

/** The [since, until) parameters of a window; an open side is unbounded. */
export const rangeOf = (window: ChainMetricsWindow): number[] => [
  window.since ?? 0,
  window.until ?? Number.MAX_SAFE_INTEGER,
];

/** Runs a stats query; numbers may come back as bigint (ClickHouse UInt64), an empty window as no row. */
export async function readDurationStats(
  db: SqlQueryable,
  sql: string,
  range: readonly number[],
): Promise<DurationStats> {
  const [row] = await db.query<Record<string, number | bigint | null>>(sql, range);
  const n = (v: number | bigint | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return { samples: Number(row?.samples ?? 0), avg: n(row?.avg), p50: n(row?.p50), p95: n(row?.p95) };
}
