import type { Chain } from "../shared/events.js";
import { CURRENT_ORPHANS_VIEW, canonicalViewOf } from "../sink/canonicalViews.js";
import { TABLE_NAMES, type TableName } from "../sink/rows.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";

export interface TableSummary {
  readonly table: TableName;
  readonly rows: number;
  /** Rows not in an orphaned block (all rows for reorgs and block_marks, which are never orphaned). */
  readonly canonicalRows: number;
  /** Distinct facts among canonical rows: the event key (per L2 block for batch_blocks, per mark for block_marks). */
  readonly distinctCanonicalKeys: number;
  /** canonicalRows − distinctCanonicalKeys: anything above 0 is a fact counted twice by dashboards. */
  readonly duplicateCanonicalRows: number;
  /** Up to 10 keys that occur more than once among canonical rows. */
  readonly duplicateKeys: readonly string[];
}

export interface BlockGap {
  /** First missing block number. */
  readonly from: number;
  /** Last missing block number (inclusive). */
  readonly to: number;
}

export interface HeaderCoverage {
  readonly chain: Chain;
  readonly table: "l1_head_events" | "l2_head_events";
  readonly minBlock: number | null;
  readonly maxBlock: number | null;
  readonly canonicalBlocks: number;
  /** Block numbers between min and max with no canonical header. */
  readonly missingBlocks: number;
  /** Up to MAX_GAPS gaps, lowest first. */
  readonly gaps: readonly BlockGap[];
  /** Block numbers with more than one canonical header: an orphan the sink was never told about. */
  readonly numbersWithSeveralHeaders: number;
}

export interface SinkSummary {
  readonly tables: readonly TableSummary[];
  readonly orphanedBlocks: { readonly l1: number; readonly l2: number };
  readonly headers: readonly HeaderCoverage[];
}

export const MAX_GAPS = 100;

/** The identity of one fact per table; two canonical rows with the same identity are a duplicate. */
const IDENTITY: { readonly [T in TableName]?: string } = {
  batch_blocks: "event_key || '#' || l2_block_number::VARCHAR",
  block_marks: "chain || ':' || block_hash || '#' || seq::VARCHAR || '.' || part::VARCHAR",
};

const HEADERS = [
  { chain: "l1", table: "l1_head_events", view: "canonical_l1_head_events", number: "l1_block_number" },
  { chain: "l2", table: "l2_head_events", view: "canonical_l2_head_events", number: "l2_block_number" },
] as const;

/** The verification report's view of the sink: counts, duplicates, orphans and header gaps. */
export async function summarizeSink(db: SqlQueryable): Promise<SinkSummary> {
  const tables: TableSummary[] = [];
  for (const table of TABLE_NAMES) tables.push(await summarizeTable(db, table));

  const orphans = await db.query<{ chain: Chain; n: number }>(
    `SELECT chain, count(*)::INTEGER AS n FROM ${CURRENT_ORPHANS_VIEW} GROUP BY chain`,
  );
  const orphanedBlocks = {
    l1: orphans.find((o) => o.chain === "l1")?.n ?? 0,
    l2: orphans.find((o) => o.chain === "l2")?.n ?? 0,
  };

  const headers: HeaderCoverage[] = [];
  for (const h of HEADERS) {
    const [range] = await db.query<{ lo: number | null; hi: number | null; blocks: number; rows: number }>(
      `SELECT min(${h.number})::DOUBLE AS lo, max(${h.number})::DOUBLE AS hi,
              count(DISTINCT ${h.number})::INTEGER AS blocks, count(*)::INTEGER AS rows FROM ${h.view}`,
    );
    const gaps = await db.query<BlockGap>(
      `WITH n AS (SELECT DISTINCT ${h.number} AS n FROM ${h.view}),
       g AS (SELECT lag(n) OVER (ORDER BY n) + 1 AS gap_from, n - 1 AS gap_to FROM n)
       SELECT gap_from::DOUBLE AS "from", gap_to::DOUBLE AS "to" FROM g WHERE gap_to >= gap_from ORDER BY gap_from LIMIT ${MAX_GAPS}`,
    );
    const lo = range?.lo ?? null;
    const hi = range?.hi ?? null;
    const blocks = range?.blocks ?? 0;
    const [several] = await db.query<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM (SELECT ${h.number} FROM ${h.view} GROUP BY 1 HAVING count(*) > 1)`,
    );
    headers.push({
      chain: h.chain,
      table: h.table,
      minBlock: lo,
      maxBlock: hi,
      canonicalBlocks: blocks,
      missingBlocks: lo === null || hi === null ? 0 : hi - lo + 1 - blocks,
      gaps,
      numbersWithSeveralHeaders: several?.n ?? 0,
    });
  }
  return { tables, orphanedBlocks, headers };
}

async function summarizeTable(db: SqlQueryable, table: TableName): Promise<TableSummary> {
  const source = canonicalViewOf(table)?.view ?? table;
  const identity = IDENTITY[table] ?? "event_key";
  const [counts] = await db.query<{ rows: number; canonical: number; distinct_keys: number }>(
    `SELECT (SELECT count(*) FROM ${table})::INTEGER AS rows, count(*)::INTEGER AS canonical,
            count(DISTINCT ${identity})::INTEGER AS distinct_keys FROM ${source}`,
  );
  const duplicates = await db.query<{ k: string }>(
    `SELECT ${identity} AS k FROM ${source} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 10`,
  );
  const canonicalRows = counts?.canonical ?? 0;
  const distinctCanonicalKeys = counts?.distinct_keys ?? 0;
  return {
    table,
    rows: counts?.rows ?? 0,
    canonicalRows,
    distinctCanonicalKeys,
    duplicateCanonicalRows: canonicalRows - distinctCanonicalKeys,
    duplicateKeys: duplicates.map((d) => d.k),
  };
}
