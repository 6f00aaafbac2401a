import type { CanonicalView, Qualify } from "./canonicalViews.js";
import type { ColumnKind } from "./rows.js";

/**
 * The schema before block marks (#15): `orphaned_blocks` held one row per (chain, hash) and an orphan was
 * forever. Migrations 1 and 2 created it and views over it, and they are never edited (databases that ran
 * them will not run them again), so they keep creating exactly this; migration 4 copies its rows into
 * `block_marks` as seq-0 orphan marks and points the views at the marks. The table stays, unread: a rerun of
 * an interrupted migration 4 can copy again (the copy is idempotent), which a dropped table would not allow.
 */
export const LEGACY_ORPHANED_BLOCKS = {
  table: "orphaned_blocks",
  columns: {
    chain: "text",
    block_number: "int",
    block_hash: "text",
    reorg_key: "text",
    event_key: "text",
    observation_id: "text",
  } satisfies Record<string, ColumnKind>,
  primaryKey: ["chain", "block_hash"],
} as const;

/** The column list of block_marks the copy fills, in the order `legacyMarksSelect` yields them. */
export const LEGACY_MARK_COLUMNS =
  "chain, block_number, block_hash, seq, part, state, reorg_key, event_key, observation_id";

/** The legacy orphans as block marks: each an orphan mark at seq 0, part 0 (before any sequenced reorg). */
export const legacyMarksSelect = (qualify: Qualify): string =>
  "SELECT chain, block_number, block_hash, 0 AS seq, 0 AS part, 'orphaned' AS state, reorg_key, event_key, " +
  `observation_id FROM ${qualify(LEGACY_ORPHANED_BLOCKS.table)}`;

/** The canonical view migrations 1 and 2 created in DuckDB: any orphan row hides the hash. */
export const legacyCanonicalViewSelect = (v: CanonicalView): string =>
  `SELECT t.* FROM ${v.table} AS t WHERE NOT EXISTS (SELECT 1 FROM orphaned_blocks AS o ` +
  `WHERE o.chain = '${v.chain}' AND o.block_hash = t.${v.hashColumn})`;
