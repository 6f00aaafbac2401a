import type { Chain } from "../shared/events.js";
import type { TableName } from "./rows.js";
import { SHASTA_CANONICAL_VIEWS } from "./shastaRows.js";

/** A view showing only the rows of a table that no recorded reorg orphaned. */
export interface CanonicalView {
  readonly view: string;
  readonly table: TableName;
  /** The column holding the hash of the block the row was observed in. */
  readonly hashColumn: string;
  /** The chain whose orphaned_blocks that hash is checked against. */
  readonly chain: Chain;
}

/**
 * Headers are canonical unless their own hash is orphaned; rows derived from an
 * L1 log are canonical unless the L1 block holding the log is orphaned.
 */
export const CANONICAL_VIEWS: readonly CanonicalView[] = [
  { view: "canonical_l1_head_events", table: "l1_head_events", hashColumn: "block_hash", chain: "l1" },
  { view: "canonical_l2_head_events", table: "l2_head_events", hashColumn: "block_hash", chain: "l2" },
  { view: "canonical_batches", table: "batches", hashColumn: "l1_block_hash", chain: "l1" },
  { view: "canonical_batch_blocks", table: "batch_blocks", hashColumn: "l1_block_hash", chain: "l1" },
  { view: "canonical_proved_batches", table: "proved_batches", hashColumn: "l1_block_hash", chain: "l1" },
  { view: "canonical_verified_batches", table: "verified_batches", hashColumn: "l1_block_hash", chain: "l1" },
  {
    view: "canonical_forced_inclusion_processed",
    table: "forced_inclusion_processed",
    hashColumn: "l1_block_hash",
    chain: "l1",
  },
  // Shasta: L1-log tables by their L1 block, proposal_blocks by its L2 block (shastaRows.ts).
  ...SHASTA_CANONICAL_VIEWS,
];

/** The canonical view of a table, or undefined for tables that are never orphaned (reorgs, orphaned_blocks). */
export const canonicalViewOf = (table: TableName): CanonicalView | undefined =>
  CANONICAL_VIEWS.find((v) => v.table === table);

/** Portable SQL (DuckDB, ClickHouse, Athena) for a canonical view's SELECT. */
export const canonicalViewSelect = (v: CanonicalView): string =>
  `SELECT t.* FROM ${v.table} AS t WHERE NOT EXISTS (SELECT 1 FROM orphaned_blocks AS o ` +
  `WHERE o.chain = '${v.chain}' AND o.block_hash = t.${v.hashColumn})`;
