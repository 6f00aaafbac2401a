import type { Chain } from "../shared/events.js";
import { FEE_CANONICAL_VIEWS } from "./feeRows.js";
import { PRECONF_CANONICAL_VIEWS } from "./preconfRows.js";
import type { TableName } from "./rows.js";
import { SHASTA_CANONICAL_VIEWS } from "./shastaRows.js";

/** A view showing only the rows of a table whose block is canonical now (its latest mark is not an orphan mark). */
export interface CanonicalView {
  readonly view: string;
  readonly table: TableName;
  /** The column holding the hash of the block the row was observed in. */
  readonly hashColumn: string;
  /** The chain whose block marks that hash is checked against. */
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
  // Fees: an L2 block's by its L2 block, a transaction's cost by its L1 block (feeRows.ts).
  ...FEE_CANONICAL_VIEWS,
  // Preconf operators per epoch: by the L1 block the whitelist was read at (preconfRows.ts).
  ...PRECONF_CANONICAL_VIEWS,
];

/** The canonical view of a table, or undefined for tables that are never orphaned (reorgs, block_marks). */
export const canonicalViewOf = (table: TableName): CanonicalView | undefined =>
  CANONICAL_VIEWS.find((v) => v.table === table);

/** Where every reorg's marks are: one row per (chain, block hash, seq, part), state orphaned or restored. */
export const MARKS_TABLE = "block_marks" satisfies TableName;

/** The blocks whose latest mark is orphaned: what every canonical view hides. */
export const CURRENT_ORPHANS_VIEW = "current_orphaned_blocks";

/** Names a table or view where the SQL runs (ClickHouse qualifies with its database; the others do not). */
export type Qualify = (name: string) => string;
const unqualified: Qualify = (name) => name;

/**
 * A mark's place in its block's history, as one integer: seq, then part, then orphaned over restored (a
 * part naming a hash both ways is a producer bug; hiding is the safe reading). events.ts bounds seq below
 * 2^31 and part below 2^20, so the value stays below 2^53 — exact in BIGINT, Int64 and Athena's bigint.
 */
const MARK_ORDER = "seq * 2097152 + part * 2 + CASE WHEN state = 'orphaned' THEN 1 ELSE 0 END";

/**
 * Canonicity, in portable SQL (DuckDB, ClickHouse 18.16 and Athena run this same text): a block hash is
 * orphaned when its latest mark — by seq, then part — is an orphan mark. The latest mark's order is odd
 * exactly then. A replayed mark is the same row (or, in ClickHouse before a merge, a copy that max()
 * ignores), so marks are idempotent and their arrival order does not matter.
 */
export const orphanedHashesSelect = (chain: Chain, qualify: Qualify = unqualified): string =>
  `SELECT block_hash FROM ${qualify(MARKS_TABLE)} WHERE chain = '${chain}' ` +
  `GROUP BY block_hash HAVING max(${MARK_ORDER}) % 2 = 1`;

/** The currently orphaned blocks of both chains (chain, block_hash, block_number): for reports and checks. */
export const currentOrphansSelect = (qualify: Qualify = unqualified): string =>
  `SELECT chain, block_hash, min(block_number) AS block_number FROM ${qualify(MARKS_TABLE)} ` +
  `GROUP BY chain, block_hash HAVING max(${MARK_ORDER}) % 2 = 1`;

/** Portable SQL (DuckDB, Athena) for a canonical view's SELECT: the table without its orphaned blocks' rows. */
export const canonicalViewSelect = (v: CanonicalView): string =>
  `SELECT t.* FROM ${v.table} AS t WHERE t.${v.hashColumn} NOT IN (${orphanedHashesSelect(v.chain)})`;
