import type { SqlDialect, SqlQueryable } from "../sink/SqlQueryable.js";
import type { ChainMetricsWindow } from "./chainMetrics.js";
import { rangeOf, WINDOW } from "./durationStatsSql.js";

/**
 * Fees, L1 costs and sequencer profit (issue 12, item 5), each defined once here (and in docs/NETWORKS.md,
 * "Fees, costs and sequencer profit"); ClickHouse and Athena say the same in their dialects (below; the
 * Athena workgroup also saves the Athena text, lib/sink/athenaQueries.ts). Every query reads the canonical views only, so the fees of orphaned L2 blocks and the costs
 * of transactions in orphaned L1 blocks never count; a transaction re-included by an L1 reorg counts once
 * (by event key, at its first canonical observation). Each fact is placed in the window by its own time.
 *
 * - Fee totals: over the L2 blocks in the window (by L2 time), the anchor transaction excluded: Σ tips
 *   ((effectiveGasPrice − baseFee) × gasUsed), Σ base fee (baseFee × gasUsed), Σ shared base fee (the
 *   coinbase's ⌊baseFee × gasUsed × pct / 100⌋ per transaction; blocks whose header carries no share add 0
 *   and are counted apart).
 * - L1 data cost: Σ gasUsed × effectiveGasPrice + blobGasUsed × blobGasPrice of the transactions that
 *   proposed (Pacaya BatchProposed, Shasta Proposed), by their L1 time.
 * - Proving cost: the same sum over the transactions that proved (Pacaya BatchesProved, Shasta Proved):
 *   what proving costs on L1. A prover's off-chain cost, and any fee a Pacaya proposer pays its prover
 *   through ProverAuth, are not in the data Tidemark reads (docs/NETWORKS.md).
 * - Sequencer profit = tips + shared base fee − L1 data cost − proving cost (wei, may be negative).
 */

export interface FeeMetrics {
  readonly l2Blocks: number;
  /** Transactions counted (anchors excluded). */
  readonly l2Txs: number;
  /** Wei amounts as decimal strings (they pass 2^53); profit may be negative. */
  readonly priorityFeeWei: string;
  readonly baseFeeWei: string;
  readonly sharedBaseFeeWei: string;
  /** Blocks whose header carries no base-fee share: their base fee is not counted as shared. */
  readonly blocksWithoutShare: number;
  readonly proposingTxs: number;
  readonly l1DataCostWei: string;
  readonly provingTxs: number;
  readonly provingCostWei: string;
  readonly sequencerProfitWei: string;
}

/** One statement per part; $1 = since (inclusive), $2 = until (exclusive). */
export interface FeeMetricQueries {
  /** blocks, txs, priority_fee_wei, base_fee_wei, shared_base_fee_wei, blocks_without_share */
  readonly fees: string;
  /** role, txs, cost_wei — one row per role present */
  readonly costs: string;
}

const DUCKDB: FeeMetricQueries = {
  fees: `
    WITH b AS (SELECT event_key, min(l2_block_ts) AS t, min(tx_count) AS txs, min(priority_fee_wei) AS tip,
                      min(base_fee_wei) AS base, min(shared_base_fee_wei) AS shared, min(basefee_sharing_pctg) AS pct
               FROM canonical_l2_block_fees GROUP BY event_key)
    SELECT count(*)::INTEGER AS blocks, coalesce(sum(txs), 0)::BIGINT AS txs,
           coalesce(sum(tip), 0)::VARCHAR AS priority_fee_wei, coalesce(sum(base), 0)::VARCHAR AS base_fee_wei,
           coalesce(sum(shared), 0)::VARCHAR AS shared_base_fee_wei,
           count(*) FILTER (WHERE pct IS NULL)::INTEGER AS blocks_without_share
    FROM b WHERE ${WINDOW("t")}`,
  costs: `
    WITH c AS (SELECT event_key, min(role) AS role, min(cost_wei) AS cost, min(l1_block_ts) AS t
               FROM canonical_l1_tx_costs GROUP BY event_key)
    SELECT role, count(*)::INTEGER AS txs, sum(cost)::VARCHAR AS cost_wei FROM c WHERE ${WINDOW("t")} GROUP BY role`,
};

/** ClickHouse 18.16+: no CTEs, no FILTER; Decimal sums printed with toString. */
const CLICKHOUSE: FeeMetricQueries = {
  fees: `
    SELECT toUInt32(count()) AS blocks, toUInt64(sum(txs)) AS txs, toString(sum(tip)) AS priority_fee_wei,
           toString(sum(base)) AS base_fee_wei, toString(sum(shared)) AS shared_base_fee_wei,
           toUInt32(countIf(has_share = 0)) AS blocks_without_share
    FROM (SELECT event_key, min(l2_block_ts) AS t, any(tx_count) AS txs, any(priority_fee_wei) AS tip,
                 any(base_fee_wei) AS base, any(ifNull(shared_base_fee_wei, toDecimal128(0, 0))) AS shared,
                 any(isNotNull(basefee_sharing_pctg)) AS has_share
          FROM canonical_l2_block_fees GROUP BY event_key)
    WHERE ${WINDOW("t")}`,
  costs: `
    SELECT role, toUInt32(count()) AS txs, toString(sum(cost)) AS cost_wei
    FROM (SELECT event_key, any(role) AS role, any(cost_wei) AS cost, min(l1_block_ts) AS t
          FROM canonical_l1_tx_costs GROUP BY event_key)
    WHERE ${WINDOW("t")} GROUP BY role`,
};

/** Athena (Trino): wei columns are strings in Glue (GLUE_TYPE), so sums CAST them to DECIMAL(38, 0). */
const wei = (c: string) => `CAST(${c} AS DECIMAL(38, 0))`;
const ATHENA: FeeMetricQueries = {
  fees: `
    WITH b AS (SELECT event_key, min(l2_block_ts) AS t, min(tx_count) AS txs, min(${wei("priority_fee_wei")}) AS tip,
                      min(${wei("base_fee_wei")}) AS base, min(${wei("shared_base_fee_wei")}) AS shared,
                      min(basefee_sharing_pctg) AS pct
               FROM canonical_l2_block_fees GROUP BY event_key)
    SELECT CAST(count(*) AS INTEGER) AS blocks, coalesce(sum(txs), 0) AS txs,
           CAST(coalesce(sum(tip), 0) AS VARCHAR) AS priority_fee_wei, CAST(coalesce(sum(base), 0) AS VARCHAR) AS base_fee_wei,
           CAST(coalesce(sum(shared), 0) AS VARCHAR) AS shared_base_fee_wei,
           CAST(count_if(pct IS NULL) AS INTEGER) AS blocks_without_share
    FROM b WHERE ${WINDOW("t")}`,
  costs: `
    WITH c AS (SELECT event_key, min(role) AS role, min(${wei("cost_wei")}) AS cost, min(l1_block_ts) AS t
               FROM canonical_l1_tx_costs GROUP BY event_key)
    SELECT role, CAST(count(*) AS INTEGER) AS txs, CAST(sum(cost) AS VARCHAR) AS cost_wei FROM c WHERE ${WINDOW("t")} GROUP BY role`,
};

export const FEE_METRIC_QUERIES: { readonly [D in SqlDialect]: FeeMetricQueries } = {
  duckdb: DUCKDB,
  clickhouse: CLICKHOUSE,
  athena: ATHENA,
};

/** Sequencer profit from its parts: the one place the formula is written. */
export const sequencerProfit = (p: {
  readonly priorityFeeWei: string;
  readonly sharedBaseFeeWei: string;
  readonly l1DataCostWei: string;
  readonly provingCostWei: string;
}): string =>
  (
    BigInt(p.priorityFeeWei) +
    BigInt(p.sharedBaseFeeWei) -
    BigInt(p.l1DataCostWei) -
    BigInt(p.provingCostWei)
  ).toString();

/** The fee and cost metrics of the canonical chains within the window. */
export async function computeFeeMetrics(
  db: SqlQueryable,
  window: ChainMetricsWindow = {},
): Promise<FeeMetrics> {
  const q = FEE_METRIC_QUERIES[db.dialect ?? "duckdb"];
  const range = rangeOf(window);
  const [fees] = await db.query<Record<string, string | number | bigint>>(q.fees, range);
  const costs = await db.query<Record<string, string | number | bigint>>(q.costs, range);
  const cost = (role: string) => costs.find((c) => c.role === role);
  const parts = {
    priorityFeeWei: String(fees?.priority_fee_wei ?? "0"),
    sharedBaseFeeWei: String(fees?.shared_base_fee_wei ?? "0"),
    l1DataCostWei: String(cost("propose")?.cost_wei ?? "0"),
    provingCostWei: String(cost("prove")?.cost_wei ?? "0"),
  };
  return {
    l2Blocks: Number(fees?.blocks ?? 0),
    l2Txs: Number(fees?.txs ?? 0),
    baseFeeWei: String(fees?.base_fee_wei ?? "0"),
    blocksWithoutShare: Number(fees?.blocks_without_share ?? 0),
    proposingTxs: Number(cost("propose")?.txs ?? 0),
    provingTxs: Number(cost("prove")?.txs ?? 0),
    ...parts,
    sequencerProfitWei: sequencerProfit(parts),
  };
}
