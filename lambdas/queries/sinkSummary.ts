import { toNumber, toNumberOrNull } from "../api/sqlDialect.js";
import type { Chain } from "../shared/events.js";
import { canonicalViewOf } from "../sink/canonicalViews.js";
import { TABLE_NAMES, type TableName } from "../sink/rows.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import { type SinkSummarySql, sinkSummarySqlOf } from "./sinkSummarySql.js";

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
const MAX_DUPLICATE_KEYS = 10;

const HEADERS = [
  { chain: "l1", table: "l1_head_events", view: "canonical_l1_head_events", number: "l1_block_number" },
  { chain: "l2", table: "l2_head_events", view: "canonical_l2_head_events", number: "l2_block_number" },
] as const;

/** The verification report's view of the sink: counts, duplicates, orphans and header gaps. */
export async function summarizeSink(db: SqlQueryable): Promise<SinkSummary> {
  const tables: TableSummary[] = [];
  const sql = sinkSummarySqlOf(db.dialect);
  for (const table of TABLE_NAMES) tables.push(await summarizeTable(db, sql, table));

  const orphans = await db.query<{ chain: Chain; n: unknown }>(sql.orphanCounts());
  const orphanedBlocks = {
    l1: toNumber(orphans.find((o) => o.chain === "l1")?.n ?? 0),
    l2: toNumber(orphans.find((o) => o.chain === "l2")?.n ?? 0),
  };

  const headers: HeaderCoverage[] = [];
  for (const h of HEADERS) {
    const [range] = await db.query<{ lo: unknown; hi: unknown; blocks: unknown }>(
      sql.headerRange(h.view, h.number),
    );
    const gaps = (
      await db.query<{ gap_from: unknown; gap_to: unknown }>(sql.headerGaps(h.view, h.number, MAX_GAPS))
    ).map((g): BlockGap => ({ from: toNumber(g.gap_from), to: toNumber(g.gap_to) }));
    const lo = toNumberOrNull(range?.lo);
    const hi = toNumberOrNull(range?.hi);
    const blocks = toNumber(range?.blocks ?? 0);
    const [several] = await db.query<{ n: unknown }>(sql.severalHeaders(h.view, h.number));
    headers.push({
      chain: h.chain,
      table: h.table,
      minBlock: lo,
      maxBlock: hi,
      canonicalBlocks: blocks,
      missingBlocks: lo === null || hi === null ? 0 : hi - lo + 1 - blocks,
      gaps,
      numbersWithSeveralHeaders: toNumber(several?.n ?? 0),
    });
  }
  return { tables, orphanedBlocks, headers };
}

async function summarizeTable(
  db: SqlQueryable,
  sql: SinkSummarySql,
  table: TableName,
): Promise<TableSummary> {
  const source = canonicalViewOf(table)?.view ?? table;
  const [counts] = await db.query<{ row_count: unknown; canonical: unknown; distinct_keys: unknown }>(
    sql.tableCounts(table, source),
  );
  const duplicates = await db.query<{ k: string }>(sql.duplicateKeys(table, source, MAX_DUPLICATE_KEYS));
  const canonicalRows = toNumber(counts?.canonical ?? 0);
  const distinctCanonicalKeys = toNumber(counts?.distinct_keys ?? 0);
  return {
    table,
    rows: toNumber(counts?.row_count ?? 0),
    canonicalRows,
    distinctCanonicalKeys,
    duplicateCanonicalRows: canonicalRows - distinctCanonicalKeys,
    duplicateKeys: duplicates.map((d) => String(d.k)),
  };
}
