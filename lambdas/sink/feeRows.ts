import type { FeeEvent } from "../shared/feeEvents.js";
import type { CanonicalView } from "./canonicalViews.js";
import type { Columns } from "./rows.js";
import type { SinkRecord } from "./Sink.js";

/**
 * Fee events → rows (issue 12, item 5). rows.ts adds these tables to the one list every adapter's schema,
 * the Firehose routing and the Glue tables derive from; the value conventions are rows.ts's (wei and gas
 * bigint, counts and unix seconds numbers, hex lowercase). The metrics over them: lambdas/queries/feeMetrics.ts.
 */

/** One row per L2 block: its fees without the anchor transaction. */
export interface L2BlockFeesRow {
  l2_block_number: number;
  l2_block_hash: string;
  l2_block_ts: number;
  base_fee_per_gas: bigint;
  tx_count: number;
  gas_used: bigint;
  priority_fee_wei: bigint;
  base_fee_wei: bigint;
  /** null when the header's layout carries no share (feesOf.ts basefeeSharingPctgOf). */
  basefee_sharing_pctg: number | null;
  shared_base_fee_wei: bigint | null;
  anchor_tx_hash: string | null;
  event_key: string;
  observation_id: string;
}

/** One row per proposing or proving L1 transaction observed in an L1 block: what it cost its sender. */
export interface L1TxCostRow {
  l1_block_number: number;
  l1_block_hash: string;
  l1_block_ts: number;
  l1_tx_hash: string;
  /** The transaction's first inbox log. */
  log_index: number;
  /** propose | prove */
  role: string;
  from_addr: string;
  to_addr: string;
  gas_used: bigint;
  effective_gas_price: bigint;
  blob_gas_used: bigint;
  blob_gas_price: bigint;
  cost_wei: bigint;
  event_key: string;
  observation_id: string;
}

export interface FeeTableRowTypes {
  l2_block_fees: L2BlockFeesRow;
  l1_tx_costs: L1TxCostRow;
}
export type FeeTableName = keyof FeeTableRowTypes;
export type FeeSinkRow = {
  [T in FeeTableName]: { readonly table: T; readonly row: FeeTableRowTypes[T] };
}[FeeTableName];

export const FEE_TABLE_COLUMNS: { readonly [T in FeeTableName]: Columns<FeeTableRowTypes[T]> } = {
  l2_block_fees: {
    l2_block_number: "int",
    l2_block_hash: "text",
    l2_block_ts: "int",
    base_fee_per_gas: "bigint",
    tx_count: "int",
    gas_used: "bigint",
    priority_fee_wei: "bigint",
    base_fee_wei: "bigint",
    basefee_sharing_pctg: "int",
    shared_base_fee_wei: "bigint",
    anchor_tx_hash: "text",
    event_key: "text",
    observation_id: "text",
  },
  l1_tx_costs: {
    l1_block_number: "int",
    l1_block_hash: "text",
    l1_block_ts: "int",
    l1_tx_hash: "text",
    log_index: "int",
    role: "text",
    from_addr: "text",
    to_addr: "text",
    gas_used: "bigint",
    effective_gas_price: "bigint",
    blob_gas_used: "bigint",
    blob_gas_price: "bigint",
    cost_wei: "bigint",
    event_key: "text",
    observation_id: "text",
  },
};

/** An L2 block's fees by its hash, like its header; a transaction's cost by its observation (one L1 block). */
export const FEE_PRIMARY_KEYS: {
  readonly [T in FeeTableName]: readonly (keyof FeeTableRowTypes[T] & string)[];
} = {
  l2_block_fees: ["l2_block_hash"],
  l1_tx_costs: ["observation_id"],
};

/** A block whose header carries no base-fee share, and a block without an anchor transaction. */
export const FEE_NULLABLE_COLUMNS: readonly string[] = [
  "basefee_sharing_pctg",
  "shared_base_fee_wei",
  "anchor_tx_hash",
];

export const FEE_TABLE_NAMES = Object.keys(FEE_TABLE_COLUMNS) as FeeTableName[];

export const isFeeTable = (table: string): table is FeeTableName =>
  (FEE_TABLE_NAMES as readonly string[]).includes(table);

/** Fees are canonical unless their L2 block is orphaned; costs unless the L1 block holding the transaction is. */
export const FEE_CANONICAL_VIEWS: readonly CanonicalView[] = [
  { view: "canonical_l2_block_fees", table: "l2_block_fees", hashColumn: "l2_block_hash", chain: "l2" },
  { view: "canonical_l1_tx_costs", table: "l1_tx_costs", hashColumn: "l1_block_hash", chain: "l1" },
];

const nullable = (v: string | null): bigint | null => (v === null ? null : BigInt(v));

/** The one row a fee record contributes. */
export function feeRowsOf(record: SinkRecord & { readonly event: FeeEvent }): FeeSinkRow[] {
  const { event, key: event_key, observationId: observation_id } = record;
  if (event.type === "l2_block_fees") {
    return [
      {
        table: "l2_block_fees",
        row: {
          l2_block_number: event.number,
          l2_block_hash: event.hash,
          l2_block_ts: event.timestamp,
          base_fee_per_gas: BigInt(event.baseFeePerGas),
          tx_count: event.txCount,
          gas_used: BigInt(event.gasUsed),
          priority_fee_wei: BigInt(event.priorityFeeWei),
          base_fee_wei: BigInt(event.baseFeeWei),
          basefee_sharing_pctg: event.basefeeSharingPctg,
          shared_base_fee_wei: nullable(event.sharedBaseFeeWei),
          anchor_tx_hash: event.anchorTxHash,
          event_key,
          observation_id,
        },
      },
    ];
  }
  return [
    {
      table: "l1_tx_costs",
      row: {
        l1_block_number: event.l1.blockNumber,
        l1_block_hash: event.l1.blockHash,
        l1_block_ts: event.l1.timestamp,
        l1_tx_hash: event.l1.txHash,
        log_index: event.l1.logIndex,
        role: event.role,
        from_addr: event.from,
        to_addr: event.to,
        gas_used: BigInt(event.gasUsed),
        effective_gas_price: BigInt(event.effectiveGasPrice),
        blob_gas_used: BigInt(event.blobGasUsed),
        blob_gas_price: BigInt(event.blobGasPrice),
        cost_wei: BigInt(event.costWei),
        event_key,
        observation_id,
      },
    },
  ];
}
