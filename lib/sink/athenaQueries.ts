import {
  CANONICAL_VIEWS,
  CURRENT_ORPHANS_VIEW,
  canonicalViewSelect,
  currentOrphansSelect,
  MARKS_TABLE,
} from "../../lambdas/sink/canonicalViews.js";
import {
  LEGACY_MARK_COLUMNS,
  LEGACY_ORPHANED_BLOCKS,
  legacyMarksSelect,
} from "../../lambdas/sink/legacyOrphanedBlocks.js";

/** One saved Athena query: a name operators find in the console and the SQL it runs. */
export interface AthenaQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** The window the saved metric queries look at: the last day, by each fact's own chain time. */
const SINCE = "CAST(to_unixtime(current_timestamp) AS BIGINT) - 86400";

const STATS = (x: string) =>
  `count(${x}) AS samples, avg(${x}) AS avg_s, approx_percentile(${x}, 0.5) AS p50_s, approx_percentile(${x}, 0.95) AS p95_s`;

/**
 * Saved queries over the Iceberg tables, in Athena's (Trino) dialect: first the canonical views (run
 * once; they exclude every row whose block's latest reorg mark orphans it), then the chain metrics of the
 * last 24 h, each over those views so that no orphaned row is counted. The same definitions as
 * lambdas/queries/chainMetrics.ts, so Athena and `npm start` agree.
 */
export const ATHENA_QUERIES: readonly AthenaQuery[] = [
  ...CANONICAL_VIEWS.map(
    (v): AthenaQuery => ({
      name: `create view ${v.view}`,
      description: `Creates ${v.view}: ${v.table} without the rows of blocks whose latest reorg mark orphans them. Run once (again after an upgrade).`,
      sql: `CREATE OR REPLACE VIEW ${v.view} AS ${canonicalViewSelect(v)}`,
    }),
  ),
  {
    name: `create view ${CURRENT_ORPHANS_VIEW}`,
    description: `Creates ${CURRENT_ORPHANS_VIEW}: the blocks orphaned now (latest mark by seq, then part). Run once.`,
    sql: `CREATE OR REPLACE VIEW ${CURRENT_ORPHANS_VIEW} AS ${currentOrphansSelect()}`,
  },
  {
    name: `copy legacy orphans into ${MARKS_TABLE}`,
    description:
      `Only for a stack deployed before ${MARKS_TABLE}: copies the rows of the old ${LEGACY_ORPHANED_BLOCKS.table} ` +
      "Iceberg table as seq-0 orphan marks. Run once, before the views; running it again adds nothing new.",
    sql:
      `MERGE INTO ${MARKS_TABLE} AS m USING (${legacyMarksSelect((t) => t)}) AS o ` +
      "ON m.chain = o.chain AND m.block_hash = o.block_hash AND m.seq = o.seq AND m.part = o.part " +
      `WHEN NOT MATCHED THEN INSERT (${LEGACY_MARK_COLUMNS}) VALUES (${LEGACY_MARK_COLUMNS.split(", ")
        .map((c) => `o.${c}`)
        .join(", ")})`,
  },
  {
    name: "L2 block cadence (24 h)",
    description: "Seconds between consecutive canonical L2 blocks: count, average, p50, p95.",
    sql: `WITH b AS (SELECT l2_block_number AS n, block_ts AS ts FROM canonical_l2_head_events WHERE block_ts >= ${SINCE}),
d AS (SELECT ts - lag(ts) OVER (ORDER BY n) AS dt, n - lag(n) OVER (ORDER BY n) AS dn FROM b)
SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
  },
  {
    name: "Batch posting cadence (24 h)",
    description: "Seconds between the proposals of consecutive canonical batches.",
    sql: `WITH p AS (SELECT batch_id, min(proposed_at) AS t FROM canonical_batches WHERE proposed_at >= ${SINCE} GROUP BY batch_id),
d AS (SELECT t - lag(t) OVER (ORDER BY batch_id) AS dt, batch_id - lag(batch_id) OVER (ORDER BY batch_id) AS dn FROM p)
SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
  },
  {
    name: "Prove time (24 h)",
    description: "Seconds from a batch's proposal to its first canonical proof (L1 block timestamps).",
    sql: `WITH p AS (SELECT batch_id, min(proposed_at) AS proposed_at FROM canonical_batches GROUP BY batch_id),
f AS (SELECT batch_id, min(proved_at) AS proved_at FROM canonical_proved_batches GROUP BY batch_id)
SELECT ${STATS("f.proved_at - p.proposed_at")} FROM f JOIN p ON f.batch_id = p.batch_id WHERE f.proved_at >= ${SINCE}`,
  },
  {
    name: "Verify time (24 h)",
    description:
      "Seconds from a batch's first proof to the first verification covering it (BatchesVerified(k) verifies every batch up to k).",
    sql: `WITH f AS (SELECT batch_id, min(proved_at) AS proved_at FROM canonical_proved_batches GROUP BY batch_id),
v AS (SELECT f.batch_id, f.proved_at, min(c.verified_at) AS verified_at
      FROM f JOIN canonical_verified_batches AS c ON c.batch_id >= f.batch_id GROUP BY f.batch_id, f.proved_at)
SELECT ${STATS("verified_at - proved_at")} FROM v WHERE verified_at >= ${SINCE}`,
  },
  {
    name: "L2 throughput (24 h)",
    description: "Canonical L2 blocks, transactions and transactions per second.",
    sql: `SELECT count(*) AS blocks, coalesce(sum(sum_tx), 0) AS txs,
CASE WHEN max(block_ts) > min(block_ts) THEN CAST(sum(sum_tx) AS DOUBLE) / (max(block_ts) - min(block_ts)) END AS tps
FROM canonical_l2_head_events WHERE block_ts >= ${SINCE}`,
  },
  {
    name: "Sequencer distribution (24 h)",
    description: "Canonical L2 blocks per sequencer and their share.",
    sql: `SELECT sequencer, count(*) AS blocks, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS share
FROM canonical_l2_head_events WHERE block_ts >= ${SINCE} GROUP BY sequencer ORDER BY blocks DESC, sequencer`,
  },
  {
    name: "Reorgs (24 h)",
    description: "Reorgs per chain: count, maximum and average depth.",
    sql: `SELECT chain, count(*) AS reorgs, max(depth) AS max_depth, avg(depth) AS avg_depth
FROM reorgs WHERE detected_at >= ${SINCE} GROUP BY chain ORDER BY chain`,
  },
  {
    name: "Forced inclusions (24 h)",
    description: "Forced inclusions processed on canonical L1 blocks.",
    sql: `SELECT count(DISTINCT event_key) AS forced_inclusions FROM canonical_forced_inclusion_processed WHERE processed_at >= ${SINCE}`,
  },
  ...SHASTA_QUERIES(),
];

/**
 * The Shasta metrics, as defined in lambdas/queries/shastaMetrics.ts (and docs/NETWORKS.md), in
 * Athena's dialect. Gwei columns are strings in Glue (GLUE_TYPE), so sums CAST them to DECIMAL(38, 0).
 * A function, so the module's constants above exist when it runs.
 */
function SHASTA_QUERIES(): AthenaQuery[] {
  return [
    {
      name: "Shasta time to finality (24 h)",
      description:
        "Seconds from a proposal's Proposed to the first canonical Proved covering it as new (first_new_proposal_id ≤ id ≤ last_proposal_id).",
      sql: `WITH p AS (SELECT proposal_id, min(l1_block_ts) AS proposed_at FROM canonical_proposals WHERE proposal_id > 0 GROUP BY proposal_id),
f AS (SELECT p.proposal_id, p.proposed_at, min(c.l1_block_ts) AS finalized_at
      FROM p JOIN canonical_proofs AS c ON c.first_new_proposal_id <= p.proposal_id AND p.proposal_id <= c.last_proposal_id
      GROUP BY p.proposal_id, p.proposed_at)
SELECT ${STATS("finalized_at - proposed_at")} FROM f WHERE finalized_at >= ${SINCE}`,
    },
    {
      name: "Shasta proposal cadence (24 h)",
      description:
        "Seconds between the Proposed of consecutive proposal ids (k ≥ 2; the genesis proposal 0 is not a sample).",
      sql: `WITH p AS (SELECT proposal_id, min(l1_block_ts) AS t FROM canonical_proposals WHERE proposal_id > 0 AND l1_block_ts >= ${SINCE} GROUP BY proposal_id),
d AS (SELECT t - lag(t) OVER (ORDER BY proposal_id) AS dt, proposal_id - lag(proposal_id) OVER (ORDER BY proposal_id) AS dn FROM p)
SELECT ${STATS("dt")} FROM d WHERE dn = 1`,
    },
    {
      name: "Shasta proofs per prover (24 h)",
      description: "Canonical Proved events per actual prover, and the proposals they finalized as new.",
      sql: `WITH p AS (SELECT event_key, min(actual_prover) AS prover, min(last_proposal_id - first_new_proposal_id + 1) AS finalized,
             min(l1_block_ts) AS t FROM canonical_proofs GROUP BY event_key)
SELECT prover, count(*) AS proofs, sum(finalized) AS proposals_finalized FROM p WHERE t >= ${SINCE}
GROUP BY prover ORDER BY proofs DESC, prover`,
    },
    {
      name: "Shasta forced inclusions saved vs included (24 h)",
      description:
        "ForcedInclusionSaved events; sources flagged isForcedInclusion in Proposed (the inclusions); queue entries voided.",
      sql: `SELECT
  (SELECT count(DISTINCT event_key) FROM canonical_forced_inclusions_saved WHERE l1_block_ts >= ${SINCE}) AS saved,
  (SELECT count(DISTINCT event_key) FROM canonical_proposal_sources WHERE is_forced_inclusion = 1 AND l1_block_ts >= ${SINCE}) AS included,
  (SELECT coalesce(sum(n), 0) FROM (SELECT event_key, min(new_head - old_head) AS n FROM canonical_forced_inclusions_voided
   WHERE l1_block_ts >= ${SINCE} GROUP BY event_key)) AS voided`,
    },
    {
      name: "Shasta bonds settled and slashed (24 h)",
      description:
        "LivenessBondSettled: settlements, how many slashed, and the liveness bond, credited and slashed sums (gwei).",
      sql: `WITH b AS (SELECT event_key, min(CAST(amount_gwei AS DECIMAL(38, 0))) AS bond, min(CAST(credited_gwei AS DECIMAL(38, 0))) AS credited,
             min(CAST(slashed_gwei AS DECIMAL(38, 0))) AS slashed
      FROM canonical_bond_events WHERE kind = 'liveness_bond_settled' AND l1_block_ts >= ${SINCE} GROUP BY event_key)
SELECT count(*) AS settlements, count_if(slashed > 0) AS slashed_settlements, coalesce(sum(bond), 0) AS liveness_bond_gwei,
       coalesce(sum(credited), 0) AS credited_gwei, coalesce(sum(slashed), 0) AS slashed_gwei FROM b`,
    },
  ];
}
