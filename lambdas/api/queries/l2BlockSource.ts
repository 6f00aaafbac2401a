import type { DurationStats } from "../../queries/chainMetrics.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { TimeRange } from "../apiParams.js";
import { chainMetricQueriesOf, toNumber } from "../sqlDialect.js";
import { readStats } from "./listProveTimes.js";

/**
 * Where the API reads canonical L2 blocks: the store's rollup when it keeps one (DuckDB: the same rows as
 * the canonical view, maintained per write, l2BlockRollup.ts), else the canonical view. Both have the
 * view's columns, so the SQL that names this relation is the same over either.
 */
export const l2BlocksOf = (db: SqlQueryable): string => db.l2BlockRollup ?? "canonical_l2_head_events";

/** blocks, txs, span of the canonical L2 blocks in the window ($1, $2): the chain metric's own definition. */
export const l2TotalsSql = (db: SqlQueryable): string =>
  db.l2BlockRollup === undefined
    ? chainMetricQueriesOf(db).l2Totals
    : "SELECT count(*)::INTEGER AS blocks, coalesce(sum(sum_tx), 0)::DOUBLE AS txs, " +
      `(max(block_ts) - min(block_ts))::DOUBLE AS span FROM ${db.l2BlockRollup} WHERE block_ts >= $1 AND block_ts < $2`;

/**
 * The L2 block-time stats (n−1 → n, both in the window), by the chain metric's definition. Over the rollup,
 * each block's `prev_ts` is its parent height's time already, so no window over every block is needed, and
 * the block times are read as a histogram (few distinct values) rather than sorted one by one: count and
 * avg come from SQL as before, the percentiles from the histogram as DuckDB's quantile_cont takes them.
 */
export async function readL2Cadence(db: SqlQueryable, range: TimeRange): Promise<DurationStats> {
  if (db.l2BlockRollup === undefined) return readStats(db, chainMetricQueriesOf(db).l2Cadence, range);
  // The () grouping set is the row of all block times (dt null): the count and avg DUCKDB_STATS reports.
  const rows = await db.query<{ dt: unknown; n: unknown; avg: unknown }>(
    "SELECT dt, count(dt) AS n, avg(dt)::DOUBLE AS avg FROM (SELECT block_ts - prev_ts AS dt FROM " +
      `${db.l2BlockRollup} WHERE block_ts >= $1 AND block_ts < $2 AND prev_ts >= $1 AND prev_ts < $2) ` +
      "GROUP BY GROUPING SETS ((dt), ()) ORDER BY dt NULLS FIRST",
    [range.gte, range.lt],
  );
  const [all, ...histogram] = rows;
  const samples = toNumber(all?.n ?? 0);
  if (samples === 0) return { samples: 0, avg: null, p50: null, p95: null };
  const counts = histogram.map((r) => ({ dt: toNumber(r.dt), n: toNumber(r.n) }));
  return {
    samples,
    avg: toNumber(all?.avg),
    p50: quantileCont(counts, samples, 0.5),
    p95: quantileCont(counts, samples, 0.95),
  };
}

/**
 * DuckDB's quantile_cont over the values a histogram holds (ascending, `total` values in all): the values at
 * ranks ⌊(total−1)·q⌋ and ⌈(total−1)·q⌉, interpolated as lo + (hi − lo)·(rank − ⌊rank⌋).
 */
export function quantileCont(
  histogram: readonly { readonly dt: number; readonly n: number }[],
  total: number,
  q: number,
): number {
  const rank = (total - 1) * q;
  const at = (index: number): number => {
    let seen = 0;
    for (const { dt, n } of histogram) {
      seen += n;
      if (index < seen) return dt;
    }
    throw new RangeError(`rank ${index} is past the ${total} values of the histogram`);
  };
  const lo = at(Math.floor(rank));
  const hi = at(Math.ceil(rank));
  return lo === hi ? lo : lo + (hi - lo) * (rank - Math.floor(rank));
}
