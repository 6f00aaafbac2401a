/** A value bound to a `$1`-style query parameter. */
export type QueryParam = string | number | bigint | boolean | null;

/**
 * Read access to a sink that speaks SQL over the Tidemark tables and canonical
 * views (DuckDB today). Metrics and summaries depend on this, not on an adapter.
 */
export interface SqlQueryable {
  /** Rows as plain objects; integer columns may come back as bigint, so cast in SQL where a number is wanted. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
}
