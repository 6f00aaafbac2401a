import { CURRENT_ORPHANS_VIEW } from "../sink/canonicalViews.js";
import type { TableName } from "../sink/rows.js";
import type { SqlDialect } from "../sink/SqlQueryable.js";

/**
 * The sink summary's statements (sinkSummary.ts) in each sink's SQL. What differs: turning a number
 * into text (`CAST(… AS VARCHAR)` in DuckDB and Athena/Trino, `toString` in ClickHouse), reading a
 * raw ClickHouse table FINAL (a ReplacingMergeTree holds a repeated write until its parts merge), and
 * header gaps: a window function in DuckDB and Athena, IN-subqueries in ClickHouse 18.16, which has
 * no window functions. No `::` casts (DuckDB only) and no quoted keywords as column names; numbers
 * come back as each driver gives them and are read with toNumber.
 */
export interface SinkSummarySql {
  /** row_count (raw table), canonical, distinct_keys (canonical rows' fact identities). */
  tableCounts(table: TableName, source: string): string;
  /** k: identities held by more than one canonical row, lowest first. */
  duplicateKeys(table: TableName, source: string, limit: number): string;
  /** chain, n: blocks orphaned now, per chain. */
  orphanCounts(): string;
  /** lo, hi, blocks: the lowest and highest block number with a canonical header, and how many distinct. */
  headerRange(view: string, number: string): string;
  /** gap_from, gap_to: runs of block numbers between lo and hi with no canonical header, lowest first. */
  headerGaps(view: string, number: string, limit: number): string;
  /** n: block numbers with more than one canonical header. */
  severalHeaders(view: string, number: string): string;
}

interface Dialect {
  readonly text: (expr: string) => string;
  /** Suffix for reading a raw (non-view) table. */
  readonly raw: string;
  readonly gaps: (view: string, number: string, limit: number) => string;
}

/** One fact's identity per table: two canonical rows with the same one are a duplicate. */
function identityOf(table: TableName, text: Dialect["text"]): string {
  if (table === "batch_blocks") return `concat(event_key, '#', ${text("l2_block_number")})`;
  if (table === "block_marks")
    return `concat(chain, ':', block_hash, '#', ${text("seq")}, '.', ${text("part")})`;
  // One row per read of an epoch's operators (preconfRows.ts): an epoch read at its first block and again
  // at an operator change has two canonical rows under one event key, both wanted.
  if (table === "preconf_epochs") return "observation_id";
  return "event_key";
}

/** DuckDB and Trino: the previous present number, by a window over the distinct numbers. */
const windowGaps = (view: string, number: string, limit: number) =>
  `WITH n AS (SELECT DISTINCT ${number} AS n FROM ${view}),
   g AS (SELECT lag(n) OVER (ORDER BY n) + 1 AS gap_from, n - 1 AS gap_to FROM n)
   SELECT gap_from, gap_to FROM g WHERE gap_to >= gap_from ORDER BY gap_from LIMIT ${limit}`;

/**
 * ClickHouse 18.16: a gap starts after a present number whose successor is absent and ends before a
 * present number whose predecessor is absent; the k-th start pairs with the k-th end. One row each,
 * as arrays zipped in SQL.
 */
const subqueryGaps = (view: string, number: string, limit: number) => {
  const present = `(SELECT DISTINCT ${number} FROM ${view})`;
  const bound = `(SELECT max(${number}) FROM ${view})`;
  const starts = `SELECT ${number} + 1 AS s FROM ${present} WHERE ${number} + 1 NOT IN ${present} AND ${number} < ${bound} ORDER BY s LIMIT ${limit}`;
  const ends = `SELECT ${number} - 1 AS e FROM ${present} WHERE ${number} - 1 NOT IN ${present} AND ${number} > (SELECT min(${number}) FROM ${view}) ORDER BY e LIMIT ${limit}`;
  return `SELECT gap.1 AS gap_from, gap.2 AS gap_to FROM (SELECT arrayJoin(arrayMap((s, e) -> (s, e), (SELECT groupArray(s) FROM (${starts})), (SELECT groupArray(e) FROM (${ends})))) AS gap) ORDER BY gap_from`;
};

const DIALECTS: Readonly<Record<SqlDialect, Dialect>> = {
  duckdb: { text: (e) => `CAST(${e} AS VARCHAR)`, raw: "", gaps: windowGaps },
  athena: { text: (e) => `CAST(${e} AS VARCHAR)`, raw: "", gaps: windowGaps },
  clickhouse: { text: (e) => `toString(${e})`, raw: " FINAL", gaps: subqueryGaps },
};

/** The summary's SQL for a sink's dialect (absent: DuckDB, the embedded default). */
export function sinkSummarySqlOf(dialect: SqlDialect = "duckdb"): SinkSummarySql {
  const d = DIALECTS[dialect];
  return {
    tableCounts: (table, source) =>
      `SELECT (SELECT count(*) FROM ${table}${d.raw}) AS row_count, count(*) AS canonical,
              count(DISTINCT ${identityOf(table, d.text)}) AS distinct_keys FROM ${source}${source === table ? d.raw : ""}`,
    // Grouped by the expression itself: Trino refuses an alias there, ClickHouse 18.16 an ordinal.
    duplicateKeys: (table, source, limit) => {
      const identity = identityOf(table, d.text);
      return `SELECT ${identity} AS k FROM ${source}${source === table ? d.raw : ""}
       GROUP BY ${identity} HAVING count(*) > 1 ORDER BY k LIMIT ${limit}`;
    },
    orphanCounts: () => `SELECT chain, count(*) AS n FROM ${CURRENT_ORPHANS_VIEW} GROUP BY chain`,
    headerRange: (view, number) =>
      `SELECT min(${number}) AS lo, max(${number}) AS hi, count(DISTINCT ${number}) AS blocks FROM ${view}`,
    headerGaps: d.gaps,
    severalHeaders: (view, number) =>
      `SELECT count(*) AS n FROM (SELECT ${number} FROM ${view} GROUP BY ${number} HAVING count(*) > 1) AS several`,
  };
}
