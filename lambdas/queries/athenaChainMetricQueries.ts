import type { ChainMetricQueries } from "./chainMetrics.js";

/**
 * The chain metrics in Athena's dialect (Trino, engine 3), over the same canonical views and with the
 * same window placeholders ($1 since, $2 until; the Athena adapter binds them as `?`): the DuckDB set
 * with CAST for `::` and approx_percentile for quantile_cont. approx_percentile does not interpolate
 * between samples, so p50/p95 may differ from DuckDB's on a handful of samples; counts and averages agree.
 */
const STATS = (x: string) =>
  `CAST(count(${x}) AS INTEGER) AS samples, CAST(avg(${x}) AS DOUBLE) AS avg, ` +
  `approx_percentile(CAST(${x} AS DOUBLE), 0.5) AS p50, approx_percentile(CAST(${x} AS DOUBLE), 0.95) AS p95`;

const FIRST_PROOFS = `
  p AS (SELECT batch_id, min(proposed_at) AS proposed_at FROM canonical_batches GROUP BY batch_id),
  f AS (SELECT batch_id, min(proved_at) AS proved_at FROM canonical_proved_batches GROUP BY batch_id)`;

export const ATHENA_CHAIN_METRIC_QUERIES: ChainMetricQueries = {
  l2Cadence: `
  WITH b AS (SELECT l2_block_number AS n, block_ts AS ts FROM canonical_l2_head_events WHERE block_ts >= $1 AND block_ts < $2),
  d AS (SELECT ts - lag(ts) OVER (ORDER BY n) AS dt, n - lag(n) OVER (ORDER BY n) AS dn FROM b)
  SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
  batchCadence: `
  WITH p AS (SELECT batch_id, min(proposed_at) AS t FROM canonical_batches
             WHERE proposed_at >= $1 AND proposed_at < $2 GROUP BY batch_id),
  d AS (SELECT t - lag(t) OVER (ORDER BY batch_id) AS dt, batch_id - lag(batch_id) OVER (ORDER BY batch_id) AS dn FROM p)
  SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
  proveTime: `
  WITH ${FIRST_PROOFS},
  d AS (SELECT f.proved_at - p.proposed_at AS dt FROM f JOIN p ON f.batch_id = p.batch_id WHERE f.proved_at >= $1 AND f.proved_at < $2)
  SELECT ${STATS("dt")} FROM d`,
  verifyTime: `
  WITH ${FIRST_PROOFS},
  v AS (SELECT f.batch_id, f.proved_at, min(c.verified_at) AS verified_at
        FROM f JOIN canonical_verified_batches AS c ON c.batch_id >= f.batch_id GROUP BY f.batch_id, f.proved_at),
  d AS (SELECT verified_at - proved_at AS dt FROM v WHERE verified_at >= $1 AND verified_at < $2)
  SELECT ${STATS("dt")} FROM d`,
  l2Totals: `
  SELECT CAST(count(*) AS INTEGER) AS blocks, CAST(coalesce(sum(sum_tx), 0) AS DOUBLE) AS txs,
         CAST(max(block_ts) - min(block_ts) AS DOUBLE) AS span
  FROM canonical_l2_head_events WHERE block_ts >= $1 AND block_ts < $2`,
  sequencers: `
  SELECT sequencer, CAST(count(*) AS INTEGER) AS blocks FROM canonical_l2_head_events
  WHERE block_ts >= $1 AND block_ts < $2 GROUP BY sequencer ORDER BY blocks DESC, sequencer`,
  reorgs: `
  SELECT chain, CAST(count(*) AS INTEGER) AS count, CAST(max(depth) AS INTEGER) AS max_depth, CAST(avg(depth) AS DOUBLE) AS avg_depth
  FROM reorgs WHERE detected_at >= $1 AND detected_at < $2 GROUP BY chain`,
  forcedInclusions: `
  SELECT CAST(count(DISTINCT event_key) AS INTEGER) AS n FROM canonical_forced_inclusion_processed
  WHERE processed_at >= $1 AND processed_at < $2`,
};
