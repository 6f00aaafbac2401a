/** A value bound to a `$1`-style query parameter. */
export type QueryParam = string | number | bigint | boolean | null;

/** The version of one table (by name) at one moment: equal versions, equal rows. */
export type TableVersions = (table: string) => string;

/** The SQL a queryable sink speaks; readers that need dialect-specific SQL (chain metrics) pick by it. */
export type SqlDialect = "duckdb" | "clickhouse" | "athena";

/**
 * Read access to a sink that speaks SQL over the Tidemark tables and canonical
 * views (DuckDB, ClickHouse). Metrics and summaries depend on this, not on an adapter.
 */
export interface SqlQueryable {
  /** Absent means DuckDB (the embedded default). */
  readonly dialect?: SqlDialect;
  /** Rows as plain objects; integer columns may come back as bigint, so cast in SQL where a number is wanted. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
  /**
   * A value that differs whenever what the tables hold may differ (a write, a reorg's marks, a merge), or
   * undefined when it cannot be known now (a write in flight). Absent when the store cannot tell (Athena):
   * answers are then not cached by version.
   */
  dataVersion?(): Promise<string | undefined>;
  /**
   * dataVersion per table: a table's version differs whenever its rows may differ. Lets an answer read
   * from a few tables outlive writes to the others. Undefined while a write is in flight; absent when the
   * store cannot tell.
   */
  tableVersions?(): Promise<TableVersions | undefined>;
  /**
   * A table the store keeps equal to `canonical_l2_head_events` (same columns) plus `prev_ts`, the time of
   * the canonical block one height below, updated with every write (DuckDB: l2BlockRollup.ts). Absent:
   * readers use the canonical view.
   */
  readonly l2BlockRollup?: string;
}
