import type { ChainMetricQueries } from "./chainMetrics.js";
import { clickhouseStats as stats, WINDOW } from "./durationStatsSql.js";

/**
 * The chain metrics in ClickHouse SQL, meaning for meaning the DuckDB set in
 * chainMetrics.ts. Written for 18.16 and later, which rules out window
 * functions (lag → a join on n = n − 1), CTEs (→ nested subqueries), non-equi
 * joins (→ CROSS JOIN and WHERE; proofs × verifications rows, fine for
 * dashboard windows) and exact interpolating quantiles (→ sorted arrays).
 * Raw tables are read with FINAL: rows not merged yet may be there twice. An
 * alias never reuses the name of a column it aggregates (ClickHouse would
 * substitute the alias into its own definition).
 */

const L2_CADENCE = stats(`
  SELECT ts - prev_ts AS dt
  FROM (SELECT l2_block_number AS n, block_ts AS ts FROM canonical_l2_head_events WHERE ${WINDOW("block_ts")})
  ALL INNER JOIN
       (SELECT l2_block_number + 1 AS n, block_ts AS prev_ts FROM canonical_l2_head_events WHERE ${WINDOW("block_ts")})
  USING n`);

// A batch re-proposed after an L1 reorg can appear once per canonical observation: take its first.
const BATCH_CADENCE = stats(`
  SELECT t - prev_t AS dt
  FROM (SELECT batch_id AS b, min(proposed_at) AS t FROM canonical_batches WHERE ${WINDOW("proposed_at")} GROUP BY batch_id)
  ALL INNER JOIN
       (SELECT batch_id + 1 AS b, min(proposed_at) AS prev_t FROM canonical_batches WHERE ${WINDOW("proposed_at")} GROUP BY batch_id)
  USING b`);

const FIRST_PROOFS =
  "(SELECT batch_id, min(proved_at) AS first_proved_at FROM canonical_proved_batches GROUP BY batch_id)";

const PROVE_TIME = stats(`
  SELECT first_proved_at - first_proposed_at AS dt
  FROM ${FIRST_PROOFS}
  ALL INNER JOIN (SELECT batch_id, min(proposed_at) AS first_proposed_at FROM canonical_batches GROUP BY batch_id)
  USING batch_id
  WHERE ${WINDOW("first_proved_at")}`);

// BatchesVerified(k) verifies every batch ≤ k: a batch's verification is the earliest one with id ≥ its own.
const VERIFY_TIME = stats(`
  SELECT covered_at - proof_at AS dt
  FROM (
    SELECT proved_batch, any(first_proved_at) AS proof_at, min(verified_at) AS covered_at
    FROM (SELECT batch_id AS proved_batch, min(proved_at) AS first_proved_at FROM canonical_proved_batches GROUP BY batch_id)
    CROSS JOIN (SELECT batch_id AS verified_batch, verified_at FROM canonical_verified_batches)
    WHERE verified_batch >= proved_batch
    GROUP BY proved_batch
  )
  WHERE ${WINDOW("covered_at")}`);

const L2_TOTALS = `
  SELECT toUInt32(count()) AS blocks, toFloat64(sum(sum_tx)) AS txs,
         if(count() = 0, NULL, toFloat64(max(block_ts) - min(block_ts))) AS span
  FROM canonical_l2_head_events WHERE ${WINDOW("block_ts")}`;

const SEQUENCERS = `
  SELECT sequencer, toUInt32(count()) AS blocks FROM canonical_l2_head_events
  WHERE ${WINDOW("block_ts")} GROUP BY sequencer ORDER BY blocks DESC, sequencer`;

const REORGS = `
  SELECT chain, toUInt32(count()) AS count, toUInt32(max(depth)) AS max_depth, avg(depth) AS avg_depth
  FROM reorgs FINAL WHERE ${WINDOW("detected_at")} GROUP BY chain`;

// Counted by event key: the same forced inclusion seen in two canonical rows is still one.
const FORCED = `
  SELECT toUInt32(uniqExact(event_key)) AS n FROM canonical_forced_inclusion_processed
  WHERE ${WINDOW("processed_at")}`;

export const CLICKHOUSE_CHAIN_METRIC_QUERIES: ChainMetricQueries = {
  l2Cadence: L2_CADENCE,
  batchCadence: BATCH_CADENCE,
  proveTime: PROVE_TIME,
  verifyTime: VERIFY_TIME,
  l2Totals: L2_TOTALS,
  sequencers: SEQUENCERS,
  reorgs: REORGS,
  forcedInclusions: FORCED,
};
