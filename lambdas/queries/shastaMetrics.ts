import { PermanentError } from "../shared/errors.js";
import type { SqlDialect, SqlQueryable } from "../sink/SqlQueryable.js";
import type { ChainMetricsWindow, DurationStats } from "./chainMetrics.js";
import { CLICKHOUSE_SHASTA_METRIC_QUERIES } from "./clickhouseShastaMetricQueries.js";
import { rangeOf, readDurationStats, DUCKDB_STATS as STATS } from "./durationStatsSql.js";

/**
 * Shasta chain metrics, each defined once here (and in docs/NETWORKS.md, "Metric definitions"); the
 * ClickHouse set and the Athena saved queries say the same in their dialects. Every query reads the
 * canonical views only, so rows of orphaned blocks never count, and takes each fact by its first
 * canonical observation (an L1 reorg can re-include the same tx: same event key, another block).
 *
 * - Time to finality (per proposal p ≥ 1): L1 time of the earliest canonical Proved that covers p as
 *   new (first_new_proposal_id ≤ p ≤ last_proposal_id) − L1 time of p's Proposed. Proving finalizes at
 *   once in Shasta (Inbox.prove @ taiko-mono b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b), and a proof's
 *   range may start at proposals already finalized (first_proposal_id … first_new_proposal_id − 1):
 *   those are not finalized again. Windowed by the finality time.
 * - Proposal cadence: seconds between the Proposed of consecutive ids k − 1 → k (k ≥ 2: the genesis
 *   proposal 0 is activate()'s, not a proposer's), both in the window.
 * - Proofs per prover: canonical Proved per actual_prover, and the proposals they finalized as new
 *   (Σ last − first_new + 1). Windowed by the proof's L1 time.
 * - Forced inclusions: saved = ForcedInclusionSaved; included = sources flagged isForcedInclusion in
 *   Proposed (Shasta has no ForcedInclusionProcessed); voided = Σ new_head − old_head of
 *   ForcedInclusionsVoided. Each by its own L1 time.
 * - Bonds: LivenessBondSettled count, how many slashed anything (slashed > 0), and the sums of the
 *   liveness bond, credited and slashed (gwei, decimal strings). Windowed by L1 time.
 */

export interface ProverStats {
  readonly prover: string;
  readonly proofs: number;
  readonly proposalsFinalized: number;
}

export interface ProposalFinality {
  readonly proposalId: number;
  readonly proposedAt: number;
  readonly finalizedAt: number;
  readonly seconds: number;
}

export interface ShastaMetrics {
  readonly timeToFinality: DurationStats;
  readonly proposalCadence: DurationStats;
  /** Most proofs first. */
  readonly provers: readonly ProverStats[];
  readonly forcedInclusions: { readonly saved: number; readonly included: number; readonly voided: number };
  readonly bonds: {
    readonly settlements: number;
    readonly slashedSettlements: number;
    readonly livenessBondGwei: string;
    readonly creditedGwei: string;
    readonly slashedGwei: string;
  };
}

/** One statement per metric; $1 = since (inclusive), $2 = until (exclusive). */
export interface ShastaMetricQueries {
  /** proposal_id, proposed_at, finalized_at, seconds — by proposal id */
  readonly finality: string;
  /** samples, avg, p50, p95 over the finality seconds */
  readonly finalityStats: string;
  readonly cadence: string;
  /** prover, proofs, proposals_finalized */
  readonly provers: string;
  /** saved, included, voided */
  readonly forced: string;
  /** settlements, slashed_settlements, liveness_bond_gwei, credited_gwei, slashed_gwei */
  readonly bonds: string;
}

const FINALITY = `
  WITH p AS (SELECT proposal_id, min(l1_block_ts) AS proposed_at FROM canonical_proposals
             WHERE proposal_id > 0 GROUP BY proposal_id),
  f AS (SELECT p.proposal_id, p.proposed_at, min(c.l1_block_ts) AS finalized_at
        FROM p JOIN canonical_proofs AS c ON c.first_new_proposal_id <= p.proposal_id AND p.proposal_id <= c.last_proposal_id
        GROUP BY p.proposal_id, p.proposed_at)
  SELECT proposal_id::BIGINT AS proposal_id, proposed_at::BIGINT AS proposed_at, finalized_at::BIGINT AS finalized_at,
         (finalized_at - proposed_at)::BIGINT AS seconds
  FROM f WHERE finalized_at >= $1 AND finalized_at < $2`;

export const DUCKDB_SHASTA_METRIC_QUERIES: ShastaMetricQueries = {
  finality: `${FINALITY} ORDER BY proposal_id`,
  finalityStats: `SELECT ${STATS("seconds")} FROM (${FINALITY})`,
  cadence: `
    WITH p AS (SELECT proposal_id, min(l1_block_ts) AS t FROM canonical_proposals
               WHERE proposal_id > 0 AND l1_block_ts >= $1 AND l1_block_ts < $2 GROUP BY proposal_id),
    d AS (SELECT t - lag(t) OVER (ORDER BY proposal_id) AS dt,
                 proposal_id - lag(proposal_id) OVER (ORDER BY proposal_id) AS dn FROM p)
    SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
  provers: `
    WITH p AS (SELECT event_key, min(actual_prover) AS prover,
                      min(last_proposal_id - first_new_proposal_id + 1) AS finalized, min(l1_block_ts) AS t
               FROM canonical_proofs GROUP BY event_key)
    SELECT prover, count(*)::INTEGER AS proofs, sum(finalized)::INTEGER AS proposals_finalized
    FROM p WHERE t >= $1 AND t < $2 GROUP BY prover ORDER BY proofs DESC, prover`,
  forced: `
    SELECT
      (SELECT count(DISTINCT event_key) FROM canonical_forced_inclusions_saved
       WHERE l1_block_ts >= $1 AND l1_block_ts < $2)::INTEGER AS saved,
      (SELECT count(DISTINCT event_key) FROM canonical_proposal_sources
       WHERE is_forced_inclusion = 1 AND l1_block_ts >= $1 AND l1_block_ts < $2)::INTEGER AS included,
      (SELECT coalesce(sum(n), 0) FROM (SELECT event_key, min(new_head - old_head) AS n FROM canonical_forced_inclusions_voided
       WHERE l1_block_ts >= $1 AND l1_block_ts < $2 GROUP BY event_key))::INTEGER AS voided`,
  bonds: `
    WITH b AS (SELECT event_key, min(amount_gwei) AS bond, min(credited_gwei) AS credited, min(slashed_gwei) AS slashed
               FROM canonical_bond_events
               WHERE kind = 'liveness_bond_settled' AND l1_block_ts >= $1 AND l1_block_ts < $2 GROUP BY event_key)
    SELECT count(*)::INTEGER AS settlements, count(*) FILTER (WHERE slashed > 0)::INTEGER AS slashed_settlements,
           coalesce(sum(bond), 0)::VARCHAR AS liveness_bond_gwei, coalesce(sum(credited), 0)::VARCHAR AS credited_gwei,
           coalesce(sum(slashed), 0)::VARCHAR AS slashed_gwei
    FROM b`,
};

const QUERIES: { readonly [D in Exclude<SqlDialect, "athena">]: ShastaMetricQueries } = {
  duckdb: DUCKDB_SHASTA_METRIC_QUERIES,
  clickhouse: CLICKHOUSE_SHASTA_METRIC_QUERIES,
};

/** The dialect's queries. On AWS the Shasta metrics are Athena saved queries (lib/sink), not yet API SQL. */
function queriesFor(db: SqlQueryable): ShastaMetricQueries {
  const dialect = db.dialect ?? "duckdb";
  if (dialect === "athena")
    throw new PermanentError(
      "the Shasta metrics have no Athena dialect here yet: use the workgroup's saved queries",
    );
  return QUERIES[dialect];
}

/** Time to finality of each canonical proposal finalized in the window, by proposal id. */
export async function shastaProposalFinality(
  db: SqlQueryable,
  window: ChainMetricsWindow = {},
): Promise<ProposalFinality[]> {
  const rows = await db.query<Record<string, number | bigint>>(queriesFor(db).finality, rangeOf(window));
  return rows.map((r) => ({
    proposalId: Number(r.proposal_id),
    proposedAt: Number(r.proposed_at),
    finalizedAt: Number(r.finalized_at),
    seconds: Number(r.seconds),
  }));
}

/** The Shasta metrics of the canonical chain within the window (each fact placed by its own L1 time). */
export async function computeShastaMetrics(
  db: SqlQueryable,
  window: ChainMetricsWindow = {},
): Promise<ShastaMetrics> {
  const range = rangeOf(window);
  const q = queriesFor(db);
  const stats = (sql: string): Promise<DurationStats> => readDurationStats(db, sql, range);
  // Sequential on purpose: one connection answers one query at a time anyway.
  const timeToFinality = await stats(q.finalityStats);
  const proposalCadence = await stats(q.cadence);
  const provers = (await db.query<Record<string, string | number | bigint>>(q.provers, range)).map((r) => ({
    prover: String(r.prover),
    proofs: Number(r.proofs),
    proposalsFinalized: Number(r.proposals_finalized),
  }));
  const [forced] = await db.query<Record<string, number | bigint>>(q.forced, range);
  const [bonds] = await db.query<Record<string, number | bigint | string>>(q.bonds, range);
  return {
    timeToFinality,
    proposalCadence,
    provers,
    forcedInclusions: {
      saved: Number(forced?.saved ?? 0),
      included: Number(forced?.included ?? 0),
      voided: Number(forced?.voided ?? 0),
    },
    bonds: {
      settlements: Number(bonds?.settlements ?? 0),
      slashedSettlements: Number(bonds?.slashed_settlements ?? 0),
      livenessBondGwei: String(bonds?.liveness_bond_gwei ?? "0"),
      creditedGwei: String(bonds?.credited_gwei ?? "0"),
      slashedGwei: String(bonds?.slashed_gwei ?? "0"),
    },
  };
}
