import { ATHENA_CHAIN_METRIC_QUERIES } from "../queries/athenaChainMetricQueries.js";
import { type ChainMetricQueries, DUCKDB_CHAIN_METRIC_QUERIES } from "../queries/chainMetrics.js";
import { CLICKHOUSE_CHAIN_METRIC_QUERIES } from "../queries/clickhouseChainMetricQueries.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";

/**
 * The few places where the API's SQL differs between DuckDB and ClickHouse
 * 18.16 (no window functions, no CTEs, no non-equi joins): everything else is
 * plain SELECT … WHERE … GROUP BY … ORDER BY … LIMIT, which both run.
 */
const isClickHouse = (db: SqlQueryable): boolean => db.dialect === "clickhouse";

/** Raw (non-view) tables in ClickHouse are ReplacingMergeTree: read them FINAL so unmerged copies count once. */
export const final = (db: SqlQueryable): string => (isClickHouse(db) ? " FINAL" : "");

/** An equi-join of two subqueries on one column. */
export const joinUsing = (db: SqlQueryable, left: string, right: string, column: string): string =>
  isClickHouse(db)
    ? `(${left}) ALL INNER JOIN (${right}) USING ${column}`
    : `(${left}) INNER JOIN (${right}) USING (${column})`;

/** The sink's chain-metric SQL for this dialect: the API reuses its definitions rather than restating them. */
export const chainMetricQueriesOf = (db: SqlQueryable): ChainMetricQueries =>
  db.dialect === "athena"
    ? ATHENA_CHAIN_METRIC_QUERIES
    : isClickHouse(db)
      ? CLICKHOUSE_CHAIN_METRIC_QUERIES
      : DUCKDB_CHAIN_METRIC_QUERIES;

/** A SQL integer or float (number or bigint, as DuckDB and ClickHouse return them) as a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  throw new TypeError(`expected a number from SQL, got ${typeof v}`);
}

export const toNumberOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : toNumber(v);

/** `$n` placeholders for a list of values starting at position `from`. */
export const placeholders = (count: number, from: number): string =>
  Array.from({ length: count }, (_, i) => `$${from + i}`).join(", ");
