import type { Chain } from "../shared/events.js";
import type { SqlDialect, SqlQueryable } from "../sink/SqlQueryable.js";
import { ATHENA_CHAIN_METRIC_QUERIES } from "./athenaChainMetricQueries.js";
import { CLICKHOUSE_CHAIN_METRIC_QUERIES } from "./clickhouseChainMetricQueries.js";
import { rangeOf, readDurationStats, DUCKDB_STATS as STATS } from "./durationStatsSql.js";

/** Summary of a set of durations in seconds; statistics are null when there are no samples. */
export interface DurationStats {
  readonly samples: number;
  readonly avg: number | null;
  /** Percentiles interpolate linearly between samples (DuckDB quantile_cont). */
  readonly p50: number | null;
  readonly p95: number | null;
}

export interface SequencerShare {
  readonly sequencer: string;
  readonly blocks: number;
  /** blocks / all canonical L2 blocks in the window, 0…1. */
  readonly share: number;
}

export interface ReorgStats {
  readonly chain: Chain;
  readonly count: number;
  readonly maxDepth: number | null;
  readonly avgDepth: number | null;
}

export interface ChainMetrics {
  /** Seconds between consecutive (number n−1 → n) canonical L2 blocks. */
  readonly l2BlockCadence: DurationStats;
  /** Seconds between the proposals of consecutive (id k−1 → k) canonical batches. */
  readonly batchPostingCadence: DurationStats;
  /** proved_at − proposed_at per batch, using the batch's first canonical proof. */
  readonly proveTime: DurationStats;
  /** verified_at − first proof per batch; BatchesVerified(k) verifies every batch ≤ k. */
  readonly verifyTime: DurationStats;
  readonly l2Blocks: number;
  readonly l2Transactions: number;
  /** Transactions / (last − first canonical L2 block timestamp); null when the span is 0. */
  readonly tps: number | null;
  /** Most blocks first. */
  readonly sequencers: readonly SequencerShare[];
  /** One entry per chain (l1, l2), zero counts included. */
  readonly reorgs: readonly ReorgStats[];
  readonly forcedInclusions: number;
}

export interface ChainMetricsWindow {
  /** Unix seconds, inclusive; each fact is placed by its own time (block_ts, proposed_at, proved_at, …). */
  readonly since?: number;
  /** Unix seconds, exclusive. */
  readonly until?: number;
}

// Each query reads only canonical views: rows of orphaned blocks never count.
const L2_CADENCE = `
  WITH b AS (SELECT l2_block_number AS n, block_ts AS ts FROM canonical_l2_head_events WHERE block_ts >= $1 AND block_ts < $2),
  d AS (SELECT ts - lag(ts) OVER (ORDER BY n) AS dt, n - lag(n) OVER (ORDER BY n) AS dn FROM b)
  SELECT ${STATS("dt")} FROM d WHERE dn = 1`;

// A batch re-proposed after an L1 reorg can appear once per canonical observation: take its first.
const BATCH_CADENCE = `
  WITH p AS (SELECT batch_id, min(proposed_at) AS t FROM canonical_batches
             WHERE proposed_at >= $1 AND proposed_at < $2 GROUP BY batch_id),
  d AS (SELECT t - lag(t) OVER (ORDER BY batch_id) AS dt, batch_id - lag(batch_id) OVER (ORDER BY batch_id) AS dn FROM p)
  SELECT ${STATS("dt")} FROM d WHERE dn = 1`;

const FIRST_PROOFS = `
  p AS (SELECT batch_id, min(proposed_at) AS proposed_at FROM canonical_batches GROUP BY batch_id),
  f AS (SELECT batch_id, min(proved_at) AS proved_at FROM canonical_proved_batches GROUP BY batch_id)`;

const PROVE_TIME = `
  WITH ${FIRST_PROOFS},
  d AS (SELECT f.proved_at - p.proposed_at AS dt FROM f JOIN p USING (batch_id) WHERE f.proved_at >= $1 AND f.proved_at < $2)
  SELECT ${STATS("dt")} FROM d`;

const VERIFY_TIME = `
  WITH ${FIRST_PROOFS},
  v AS (SELECT f.batch_id, f.proved_at, min(c.verified_at) AS verified_at
        FROM f JOIN canonical_verified_batches AS c ON c.batch_id >= f.batch_id GROUP BY f.batch_id, f.proved_at),
  d AS (SELECT verified_at - proved_at AS dt FROM v WHERE verified_at >= $1 AND verified_at < $2)
  SELECT ${STATS("dt")} FROM d`;

const L2_TOTALS = `
  SELECT count(*)::INTEGER AS blocks, coalesce(sum(sum_tx), 0)::DOUBLE AS txs,
         (max(block_ts) - min(block_ts))::DOUBLE AS span
  FROM canonical_l2_head_events WHERE block_ts >= $1 AND block_ts < $2`;

const SEQUENCERS = `
  SELECT sequencer, count(*)::INTEGER AS blocks FROM canonical_l2_head_events
  WHERE block_ts >= $1 AND block_ts < $2 GROUP BY sequencer ORDER BY blocks DESC, sequencer`;

const REORGS = `
  SELECT chain, count(*)::INTEGER AS count, max(depth)::INTEGER AS max_depth, avg(depth)::DOUBLE AS avg_depth
  FROM reorgs WHERE detected_at >= $1 AND detected_at < $2 GROUP BY chain`;

// Counted by event key: the same forced inclusion seen in two canonical rows is still one.
const FORCED = `
  SELECT count(DISTINCT event_key)::INTEGER AS n FROM canonical_forced_inclusion_processed
  WHERE processed_at >= $1 AND processed_at < $2`;

/**
 * One SQL statement per metric, with the window bound as $1 (since, inclusive)
 * and $2 (until, exclusive). Stats queries return one row (samples, avg, p50,
 * p95; statistics null when there are no samples); the others the columns
 * computeChainMetrics reads below. Each dialect has its own set.
 */
export interface ChainMetricQueries {
  readonly l2Cadence: string;
  readonly batchCadence: string;
  readonly proveTime: string;
  readonly verifyTime: string;
  /** blocks, txs, span */
  readonly l2Totals: string;
  /** sequencer, blocks — most blocks first */
  readonly sequencers: string;
  /** chain, count, max_depth, avg_depth */
  readonly reorgs: string;
  /** n */
  readonly forcedInclusions: string;
}

export const DUCKDB_CHAIN_METRIC_QUERIES: ChainMetricQueries = {
  l2Cadence: L2_CADENCE,
  batchCadence: BATCH_CADENCE,
  proveTime: PROVE_TIME,
  verifyTime: VERIFY_TIME,
  l2Totals: L2_TOTALS,
  sequencers: SEQUENCERS,
  reorgs: REORGS,
  forcedInclusions: FORCED,
};

const QUERIES: { readonly [D in SqlDialect]: ChainMetricQueries } = {
  duckdb: DUCKDB_CHAIN_METRIC_QUERIES,
  clickhouse: CLICKHOUSE_CHAIN_METRIC_QUERIES,
  athena: ATHENA_CHAIN_METRIC_QUERIES,
};

/** Computes the chain metrics the dashboard shows, from the canonical views. */
export async function computeChainMetrics(
  db: SqlQueryable,
  window: ChainMetricsWindow = {},
): Promise<ChainMetrics> {
  const range = rangeOf(window);
  const q = QUERIES[db.dialect ?? "duckdb"];
  const stats = (sql: string): Promise<DurationStats> => readDurationStats(db, sql, range);
  // Sequential on purpose: one connection answers one query at a time anyway.
  const l2BlockCadence = await stats(q.l2Cadence);
  const batchPostingCadence = await stats(q.batchCadence);
  const proveTime = await stats(q.proveTime);
  const verifyTime = await stats(q.verifyTime);
  const [totals] = await db.query<{ blocks: number; txs: number; span: number | null }>(q.l2Totals, range);
  const blocks = totals?.blocks ?? 0;
  const txs = totals?.txs ?? 0;
  const span = totals?.span ?? 0;
  const sequencers = (await db.query<{ sequencer: string; blocks: number }>(q.sequencers, range)).map(
    (s) => ({
      sequencer: s.sequencer,
      blocks: s.blocks,
      share: s.blocks / blocks,
    }),
  );
  const reorgRows = await db.query<{ chain: Chain; count: number; max_depth: number; avg_depth: number }>(
    q.reorgs,
    range,
  );
  const reorgs = (["l1", "l2"] as const).map((chain): ReorgStats => {
    const r = reorgRows.find((x) => x.chain === chain);
    return r === undefined
      ? { chain, count: 0, maxDepth: null, avgDepth: null }
      : { chain, count: r.count, maxDepth: r.max_depth, avgDepth: r.avg_depth };
  });
  const [forced] = await db.query<{ n: number }>(q.forcedInclusions, range);
  return {
    l2BlockCadence,
    batchPostingCadence,
    proveTime,
    verifyTime,
    l2Blocks: blocks,
    l2Transactions: txs,
    tps: span > 0 ? txs / span : null,
    sequencers,
    reorgs,
    forcedInclusions: forced?.n ?? 0,
  };
}
