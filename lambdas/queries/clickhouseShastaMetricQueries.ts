import { clickhouseStats as stats, WINDOW } from "./durationStatsSql.js";
import type { ShastaMetricQueries } from "./shastaMetrics.js";

/**
 * The Shasta metrics in ClickHouse SQL, meaning for meaning the DuckDB set in shastaMetrics.ts (where
 * each is defined). Written for 18.16 and later like the chain metrics: no window functions (lag → a
 * join on id = id − 1), no CTEs (→ subqueries), no non-equi joins (→ CROSS JOIN and WHERE: proposals ×
 * proofs rows, fine for dashboard windows), quantiles from sorted arrays. An alias never reuses the
 * name of a column it aggregates.
 */

const FINALITY = `
  SELECT pid AS proposal_id, first_proposed AS proposed_at, finalized AS finalized_at, finalized - first_proposed AS seconds
  FROM (
    SELECT pid, any(proposed_t) AS first_proposed, min(proof_t) AS finalized
    FROM (SELECT proposal_id AS pid, min(l1_block_ts) AS proposed_t FROM canonical_proposals WHERE proposal_id > 0 GROUP BY proposal_id)
    CROSS JOIN (SELECT first_new_proposal_id AS fnew, last_proposal_id AS lastp, l1_block_ts AS proof_t FROM canonical_proofs)
    WHERE fnew <= pid AND pid <= lastp
    GROUP BY pid
  )
  WHERE ${WINDOW("finalized")}`;

export const CLICKHOUSE_SHASTA_METRIC_QUERIES: ShastaMetricQueries = {
  finality: `${FINALITY} ORDER BY proposal_id`,
  finalityStats: stats(`SELECT seconds AS dt FROM (${FINALITY})`),
  cadence: stats(`
    SELECT t - prev_t AS dt
    FROM (SELECT proposal_id AS k, min(l1_block_ts) AS t FROM canonical_proposals
          WHERE proposal_id > 0 AND ${WINDOW("l1_block_ts")} GROUP BY proposal_id)
    ALL INNER JOIN
         (SELECT proposal_id + 1 AS k, min(l1_block_ts) AS prev_t FROM canonical_proposals
          WHERE proposal_id > 0 AND ${WINDOW("l1_block_ts")} GROUP BY proposal_id)
    USING k`),
  provers: `
    SELECT prover, toUInt32(count()) AS proofs, toUInt32(sum(finalized)) AS proposals_finalized
    FROM (SELECT event_key, any(actual_prover) AS prover, any(last_proposal_id - first_new_proposal_id + 1) AS finalized,
                 min(l1_block_ts) AS t
          FROM canonical_proofs GROUP BY event_key)
    WHERE ${WINDOW("t")} GROUP BY prover ORDER BY proofs DESC, prover`,
  forced: `
    SELECT
      (SELECT toUInt32(uniqExact(event_key)) FROM canonical_forced_inclusions_saved WHERE ${WINDOW("l1_block_ts")}) AS saved,
      (SELECT toUInt32(uniqExact(event_key)) FROM canonical_proposal_sources
       WHERE is_forced_inclusion = 1 AND ${WINDOW("l1_block_ts")}) AS included,
      (SELECT toInt64(sum(n)) FROM (SELECT event_key, any(new_head - old_head) AS n FROM canonical_forced_inclusions_voided
       WHERE ${WINDOW("l1_block_ts")} GROUP BY event_key)) AS voided`,
  bonds: `
    SELECT toUInt32(count()) AS settlements, toUInt32(countIf(slashed > 0)) AS slashed_settlements,
           toString(sum(bond)) AS liveness_bond_gwei, toString(sum(credited)) AS credited_gwei,
           toString(sum(slashed)) AS slashed_gwei
    FROM (SELECT event_key, any(assumeNotNull(amount_gwei)) AS bond, any(assumeNotNull(credited_gwei)) AS credited,
                 any(assumeNotNull(slashed_gwei)) AS slashed
          FROM canonical_bond_events
          WHERE kind = 'liveness_bond_settled' AND ${WINDOW("l1_block_ts")} GROUP BY event_key)`,
};
