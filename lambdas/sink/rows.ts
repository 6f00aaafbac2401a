import { InvalidMessageError } from "../shared/errors.js";
import type { BatchProposedEvent, Chain, ReorgEvent } from "../shared/events.js";
import {
  API_NULLABLE_COLUMNS,
  API_PRIMARY_KEYS,
  API_TABLE_COLUMNS,
  type ApiTableRowTypes,
  apiEventRowsOf,
} from "./apiEventRows.js";
import {
  FEE_NULLABLE_COLUMNS,
  FEE_PRIMARY_KEYS,
  FEE_TABLE_COLUMNS,
  type FeeTableRowTypes,
  feeRowsOf,
} from "./feeRows.js";
import { l1Log } from "./l1Log.js";
import {
  PRECONF_PRIMARY_KEYS,
  PRECONF_TABLE_COLUMNS,
  type PreconfTableRowTypes,
  preconfRowsOf,
} from "./preconfRows.js";
import type { SinkRecord } from "./Sink.js";
import {
  SHASTA_NULLABLE_COLUMNS,
  SHASTA_PRIMARY_KEYS,
  SHASTA_TABLE_COLUMNS,
  type ShastaTableRowTypes,
  shastaRowsOf,
} from "./shastaRows.js";

/**
 * Event → rows, per table. Pure and sink-independent: every adapter stores
 * exactly these rows. Table and column names follow the self-hosted design
 * (Taikoscope's ClickHouse schema) so its queries and operators carry over.
 *
 * Value types: block numbers, counts and `*_at` / `*_ts` (unix seconds) are JS
 * numbers (the event schema bounds them to safe integers); gas, fees and wei are
 * bigint (they can pass 2^53); hashes and addresses are 0x-prefixed lowercase hex.
 * `inserted_at` is not a row value: the store stamps it.
 */

export interface L1HeadEventRow {
  l1_block_number: number;
  block_hash: string;
  parent_hash: string;
  block_ts: number;
  gas_used: bigint;
  gas_limit: bigint;
  base_fee: bigint | null;
  tx_count: number;
  miner: string;
  event_key: string;
  observation_id: string;
}

export interface L2HeadEventRow {
  l2_block_number: number;
  block_hash: string;
  parent_hash: string;
  block_ts: number;
  sum_gas_used: bigint;
  gas_limit: bigint;
  sum_tx: number;
  /** gasUsed × baseFee: the base fee paid by the block (null before EIP-1559). */
  sum_base_fee: bigint | null;
  base_fee: bigint | null;
  /** The block's coinbase: on Taiko, the sequencer that built it. */
  sequencer: string;
  event_key: string;
  observation_id: string;
}

/** Columns of every row derived from an L1 log: where it was observed. */
interface L1LogColumns {
  l1_block_number: number;
  l1_block_hash: string;
  l1_tx_hash: string;
  log_index: number;
  event_key: string;
  observation_id: string;
}

export interface BatchRow extends L1LogColumns {
  batch_id: number;
  /** The L1 block timestamp of the proposal. */
  proposed_at: number;
  proposed_in: number;
  /** Number of L2 blocks in the batch. */
  batch_size: number;
  last_l2_block_number: number;
  last_block_ts: number;
  anchor_block_id: number;
  gas_limit: number;
  proposer_addr: string;
  coinbase: string;
  blob_count: number;
  tx_list_bytes: number;
}

export interface BatchBlockRow {
  batch_id: number;
  l2_block_number: number;
  l1_block_number: number;
  l1_block_hash: string;
  l1_tx_hash: string;
  event_key: string;
  observation_id: string;
}

export interface ProvedBatchRow extends L1LogColumns {
  batch_id: number;
  proved_at: number;
  verifier_addr: string;
  parent_hash: string;
  block_hash: string;
  state_root: string;
}

export interface VerifiedBatchRow extends L1LogColumns {
  /** BatchesVerified(batchId) verifies every batch up to and including this id. */
  batch_id: number;
  verified_at: number;
  block_hash: string;
}

export interface ForcedInclusionProcessedRow extends L1LogColumns {
  blob_hash: string;
  fee_in_gwei: bigint;
  created_at_batch_id: number;
  blob_byte_offset: number;
  blob_byte_size: number;
  blob_created_in: number;
  processed_at: number;
}

export interface ReorgRow {
  chain: Chain;
  common_ancestor_number: number;
  common_ancestor_hash: string;
  depth: number;
  new_head_number: number;
  new_head_hash: string;
  detected_at: number;
  event_key: string;
  observation_id: string;
}

/**
 * One reorg's mark on one block: orphaned (off the chain) or restored (on it again). A block is canonical
 * unless its latest mark — by seq, then part — is an orphan mark (canonicalViews.ts).
 */
export interface BlockMarkRow {
  chain: Chain;
  block_number: number;
  block_hash: string;
  /** The reorg's per-chain sequence (0 when the event carries none). */
  seq: number;
  /** The part of a split reorg that carries the mark (0 when unsplit). */
  part: number;
  state: BlockMarkState;
  /** Event key of the reorg that set the mark (equal to event_key). */
  reorg_key: string;
  event_key: string;
  observation_id: string;
}
export type BlockMarkState = "orphaned" | "restored";

/** Every table and the shape of its rows (the Shasta tables in shastaRows.ts, the ingest API's in apiEventRows.ts). */
export interface TableRowTypes
  extends ShastaTableRowTypes,
    ApiTableRowTypes,
    FeeTableRowTypes,
    PreconfTableRowTypes {
  l1_head_events: L1HeadEventRow;
  l2_head_events: L2HeadEventRow;
  batches: BatchRow;
  batch_blocks: BatchBlockRow;
  proved_batches: ProvedBatchRow;
  verified_batches: VerifiedBatchRow;
  forced_inclusion_processed: ForcedInclusionProcessedRow;
  reorgs: ReorgRow;
  block_marks: BlockMarkRow;
}
export type TableName = keyof TableRowTypes;
export type ColumnValue = string | number | bigint | null;

/** One row bound for one table. */
export type SinkRow = { [T in TableName]: { readonly table: T; readonly row: TableRowTypes[T] } }[TableName];

/** The value class of a column, from which each adapter picks its physical type. */
export type ColumnKind = "int" | "bigint" | "text";

/** The kind of each column of row type T (every column named, none extra). */
export type Columns<T> = { readonly [C in keyof T]-?: ColumnKind };

const l1LogColumns = {
  l1_block_number: "int",
  l1_block_hash: "text",
  l1_tx_hash: "text",
  log_index: "int",
  event_key: "text",
  observation_id: "text",
} as const;

/** Column order and kinds per table; every adapter's schema derives from this one list. */
export const TABLE_COLUMNS: { readonly [T in TableName]: Columns<TableRowTypes[T]> } = {
  l1_head_events: {
    l1_block_number: "int",
    block_hash: "text",
    parent_hash: "text",
    block_ts: "int",
    gas_used: "bigint",
    gas_limit: "bigint",
    base_fee: "bigint",
    tx_count: "int",
    miner: "text",
    event_key: "text",
    observation_id: "text",
  },
  l2_head_events: {
    l2_block_number: "int",
    block_hash: "text",
    parent_hash: "text",
    block_ts: "int",
    sum_gas_used: "bigint",
    gas_limit: "bigint",
    sum_tx: "int",
    sum_base_fee: "bigint",
    base_fee: "bigint",
    sequencer: "text",
    event_key: "text",
    observation_id: "text",
  },
  batches: {
    batch_id: "int",
    ...l1LogColumns,
    proposed_at: "int",
    proposed_in: "int",
    batch_size: "int",
    last_l2_block_number: "int",
    last_block_ts: "int",
    anchor_block_id: "int",
    gas_limit: "int",
    proposer_addr: "text",
    coinbase: "text",
    blob_count: "int",
    tx_list_bytes: "int",
  },
  batch_blocks: {
    batch_id: "int",
    l2_block_number: "int",
    l1_block_number: "int",
    l1_block_hash: "text",
    l1_tx_hash: "text",
    event_key: "text",
    observation_id: "text",
  },
  proved_batches: {
    batch_id: "int",
    ...l1LogColumns,
    proved_at: "int",
    verifier_addr: "text",
    parent_hash: "text",
    block_hash: "text",
    state_root: "text",
  },
  verified_batches: {
    batch_id: "int",
    ...l1LogColumns,
    verified_at: "int",
    block_hash: "text",
  },
  forced_inclusion_processed: {
    blob_hash: "text",
    fee_in_gwei: "bigint",
    created_at_batch_id: "int",
    blob_byte_offset: "int",
    blob_byte_size: "int",
    blob_created_in: "int",
    ...l1LogColumns,
    processed_at: "int",
  },
  reorgs: {
    chain: "text",
    common_ancestor_number: "int",
    common_ancestor_hash: "text",
    depth: "int",
    new_head_number: "int",
    new_head_hash: "text",
    detected_at: "int",
    event_key: "text",
    observation_id: "text",
  },
  block_marks: {
    chain: "text",
    block_number: "int",
    block_hash: "text",
    seq: "int",
    part: "int",
    state: "text",
    reorg_key: "text",
    event_key: "text",
    observation_id: "text",
  },
  ...SHASTA_TABLE_COLUMNS,
  ...API_TABLE_COLUMNS,
  ...FEE_TABLE_COLUMNS,
  ...PRECONF_TABLE_COLUMNS,
};

/**
 * Primary keys: writing the same observation again is a no-op. Headers are
 * identified by their hash (one block, whoever saw it); log-derived rows by the
 * observation (one log in one L1 block, so a reorg-moved log is a new row);
 * block marks by (chain, hash, seq, part): a replayed mark is the same row, a later reorg's is a new one.
 */
export const PRIMARY_KEYS: { readonly [T in TableName]: readonly (keyof TableRowTypes[T] & string)[] } = {
  l1_head_events: ["block_hash"],
  l2_head_events: ["block_hash"],
  batches: ["observation_id"],
  batch_blocks: ["observation_id", "l2_block_number"],
  proved_batches: ["observation_id"],
  verified_batches: ["observation_id"],
  forced_inclusion_processed: ["observation_id"],
  reorgs: ["observation_id"],
  block_marks: ["chain", "block_hash", "seq", "part"],
  ...SHASTA_PRIMARY_KEYS,
  ...API_PRIMARY_KEYS,
  ...FEE_PRIMARY_KEYS,
  ...PRECONF_PRIMARY_KEYS,
};

/** The only columns that may hold null: fees of blocks before EIP-1559, Shasta's per-kind fields, an inline API event's payload_ref. */
export const NULLABLE_COLUMNS: ReadonlySet<string> = new Set([
  "base_fee",
  "sum_base_fee",
  ...SHASTA_NULLABLE_COLUMNS,
  ...API_NULLABLE_COLUMNS,
  ...FEE_NULLABLE_COLUMNS,
]);

export const TABLE_NAMES = Object.keys(TABLE_COLUMNS) as TableName[];

/** The table each SQL sink records its applied schema migrations in (DuckDB and ClickHouse alike). */
export const MIGRATIONS_TABLE = "tidemark_schema_migrations";

/** Column names of a table, in schema order. */
export const columnsOf = (table: TableName): readonly string[] => Object.keys(TABLE_COLUMNS[table]);

/** The rows one record contributes, in table order of TABLE_NAMES. */
export function rowsOf(record: SinkRecord): SinkRow[] {
  const { event, key: event_key, observationId: observation_id } = record;
  const ids = { event_key, observation_id };
  switch (event.type) {
    case "l1_header":
      return [
        {
          table: "l1_head_events",
          row: {
            l1_block_number: event.number,
            block_hash: event.hash,
            parent_hash: event.parentHash,
            block_ts: event.timestamp,
            gas_used: BigInt(event.gasUsed),
            gas_limit: BigInt(event.gasLimit),
            base_fee: nullableBigInt(event.baseFeePerGas),
            tx_count: event.txCount,
            miner: event.miner,
            ...ids,
          },
        },
      ];
    case "l2_header": {
      const gasUsed = BigInt(event.gasUsed);
      const baseFee = nullableBigInt(event.baseFeePerGas);
      return [
        {
          table: "l2_head_events",
          row: {
            l2_block_number: event.number,
            block_hash: event.hash,
            parent_hash: event.parentHash,
            block_ts: event.timestamp,
            sum_gas_used: gasUsed,
            gas_limit: BigInt(event.gasLimit),
            sum_tx: event.txCount,
            sum_base_fee: baseFee === null ? null : gasUsed * baseFee,
            base_fee: baseFee,
            sequencer: event.miner,
            ...ids,
          },
        },
      ];
    }
    case "batch_proposed":
      return batchProposedRows(event, ids);
    case "batches_proved":
      return [
        {
          table: "proved_batches",
          row: {
            batch_id: event.batchId,
            ...l1Log(event.l1),
            proved_at: event.l1.timestamp,
            verifier_addr: event.verifier,
            parent_hash: event.transition.parentHash,
            block_hash: event.transition.blockHash,
            state_root: event.transition.stateRoot,
            ...ids,
          },
        },
      ];
    case "batches_verified":
      return [
        {
          table: "verified_batches",
          row: {
            batch_id: event.batchId,
            ...l1Log(event.l1),
            verified_at: event.l1.timestamp,
            block_hash: event.blockHash,
            ...ids,
          },
        },
      ];
    case "forced_inclusion_processed":
      return [
        {
          table: "forced_inclusion_processed",
          row: {
            blob_hash: event.blobHash,
            fee_in_gwei: BigInt(event.feeInGwei),
            created_at_batch_id: event.createdAtBatchId,
            blob_byte_offset: event.blobByteOffset,
            blob_byte_size: event.blobByteSize,
            blob_created_in: event.blobCreatedIn,
            ...l1Log(event.l1),
            processed_at: event.l1.timestamp,
            ...ids,
          },
        },
      ];
    case "reorg":
      return reorgRows(event, ids);
    case "api_event":
      return apiEventRowsOf(event, ids);
    case "l2_block_fees":
    case "l1_tx_cost":
      return feeRowsOf({ ...record, event });
    case "preconf_epoch":
      return preconfRowsOf({ ...record, event });
    default:
      return shastaRowsOf({ ...record, event });
  }
}

/** The identity columns every row carries. */
interface RowIds {
  readonly event_key: string;
  readonly observation_id: string;
}

/** A proposal's row and one `batch_blocks` row per L2 block it covers. */
function batchProposedRows(event: BatchProposedEvent, ids: RowIds): SinkRow[] {
  const { observation_id } = ids;
  const batch: SinkRow = {
    table: "batches",
    row: {
      batch_id: event.batchId,
      ...l1Log(event.l1),
      proposed_at: event.l1.timestamp,
      proposed_in: event.proposedIn,
      batch_size: event.blockCount,
      last_l2_block_number: event.lastBlockId,
      last_block_ts: event.lastBlockTimestamp,
      anchor_block_id: event.anchorBlockId,
      gas_limit: event.gasLimit,
      proposer_addr: event.proposer,
      coinbase: event.coinbase,
      blob_count: event.blobHashes.length,
      tx_list_bytes: event.txListBytes,
      ...ids,
    },
  };
  // Invariant (events.ts): the batch's blocks are lastBlockId − blockCount + 1 … lastBlockId.
  const first = event.lastBlockId - event.blockCount + 1;
  if (first < 0) {
    throw new InvalidMessageError(
      `batch ${event.batchId}: blockCount ${event.blockCount} exceeds lastBlockId + 1`,
      {
        context: {
          observationId: observation_id,
          lastBlockId: event.lastBlockId,
          blockCount: event.blockCount,
        },
      },
    );
  }
  const blocks: SinkRow[] = [];
  for (let n = first; n <= event.lastBlockId; n++) {
    blocks.push({
      table: "batch_blocks",
      row: {
        batch_id: event.batchId,
        l2_block_number: n,
        l1_block_number: event.l1.blockNumber,
        l1_block_hash: event.l1.blockHash,
        l1_tx_hash: event.l1.txHash,
        ...ids,
      },
    });
  }
  return [batch, ...blocks];
}

/** The reorg's row and one `block_marks` row per block it orphans or restores. */
function reorgRows(event: ReorgEvent, ids: RowIds): SinkRow[] {
  const mark =
    (state: BlockMarkState) =>
    (block: { readonly number: number; readonly hash: string }): SinkRow => ({
      table: "block_marks",
      row: {
        chain: event.chain,
        block_number: block.number,
        block_hash: block.hash,
        seq: event.seq ?? 0,
        part: event.part?.index ?? 0,
        state,
        reorg_key: ids.event_key,
        ...ids,
      },
    });
  return [
    {
      table: "reorgs",
      row: {
        chain: event.chain,
        common_ancestor_number: event.commonAncestor.number,
        common_ancestor_hash: event.commonAncestor.hash,
        depth: event.depth,
        new_head_number: event.newHead.number,
        new_head_hash: event.newHead.hash,
        detected_at: event.detectedAt,
        ...ids,
      },
    },
    ...event.orphaned.map(mark("orphaned")),
    ...(event.restored ?? []).map(mark("restored")),
  ];
}

/** Rows of many records grouped by table (tables with no rows are absent). */
export function rowsByTable(records: readonly SinkRecord[]): Map<TableName, Record<string, ColumnValue>[]> {
  const out = new Map<TableName, Record<string, ColumnValue>[]>();
  for (const record of records) {
    for (const { table, row } of rowsOf(record)) {
      let list = out.get(table);
      if (list === undefined) {
        list = [];
        out.set(table, list);
      }
      list.push(row as unknown as Record<string, ColumnValue>);
    }
  }
  return out;
}

const nullableBigInt = (v: string | null): bigint | null => (v === null ? null : BigInt(v));
