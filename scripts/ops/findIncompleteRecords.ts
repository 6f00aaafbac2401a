import { chunk } from "../../lambdas/shared/chunk.js";
import { PRIMARY_KEYS, rowsOf, TABLE_COLUMNS, type TableName } from "../../lambdas/sink/rows.js";
import type { SinkRecord } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";

/** A record whose rows the sink does not all hold: per table, how many of its rows are missing. */
export interface IncompleteRecord {
  readonly record: SinkRecord;
  readonly missing: readonly { readonly table: TableName; readonly rows: number }[];
}

/** Values per `IN (…)` list: small enough for every dialect's statement limits. */
const VALUES_PER_QUERY = 300;

interface Expected {
  readonly index: number;
  /** The row's primary key, normalized. */
  readonly key: string;
  /** The key's first column as stored: what the row is looked up by. */
  readonly lookup: string;
}

/**
 * The records whose rows are not all in the sink's tables, in the order given. Each record's rows are
 * derived as every adapter stores them (rows.ts `rowsOf`) and looked up by their table's primary key,
 * in the raw tables (not the canonical views: an orphan mark hides a row, it does not lose it). One
 * query per table per 300 rows, in SQL that DuckDB, ClickHouse and Athena all read.
 */
export async function findIncompleteRecords(
  sink: SqlQueryable,
  records: readonly SinkRecord[],
): Promise<IncompleteRecord[]> {
  const byTable = new Map<TableName, Expected[]>();
  records.forEach((record, index) => {
    for (const { table, row } of rowsOf(record)) {
      const values = row as unknown as Record<string, unknown>;
      const columns = PRIMARY_KEYS[table] as readonly string[];
      const key = columns.map((c) => normalize(values[c])).join("|");
      const expected = byTable.get(table) ?? [];
      expected.push({ index, key, lookup: String(values[columns[0] as string]) });
      byTable.set(table, expected);
    }
  });
  const missing = new Map<number, Map<TableName, number>>();
  for (const [table, expected] of byTable) {
    const present = await keysPresent(sink, table, expected);
    for (const e of expected) {
      if (present.has(e.key)) continue;
      const tables = missing.get(e.index) ?? new Map<TableName, number>();
      tables.set(table, (tables.get(table) ?? 0) + 1);
      missing.set(e.index, tables);
    }
  }
  return [...missing.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, tables]) => ({
      record: records[index] as SinkRecord,
      missing: [...tables].map(([table, rows]) => ({ table, rows })),
    }));
}

/** Which of the expected rows' keys `table` holds, looked up by the key's first (text) column. */
async function keysPresent(sink: SqlQueryable, table: TableName, expected: readonly Expected[]) {
  const columns = PRIMARY_KEYS[table] as readonly string[];
  const [lookup] = columns;
  const kinds = TABLE_COLUMNS[table] as Readonly<Record<string, string>>;
  if (lookup === undefined || kinds[lookup] !== "text")
    throw new Error(`${table}: its primary key does not start with a text column to look rows up by`);
  const present = new Set<string>();
  const firstValues = [...new Set(expected.map((e) => e.lookup))];
  for (const values of chunk(firstValues, { maxItems: VALUES_PER_QUERY })) {
    const list = values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");
    const rows = await sink.query<Record<string, unknown>>(
      `SELECT ${columns.join(", ")} FROM ${table} WHERE ${lookup} IN (${list})`,
    );
    for (const row of rows) present.add(columns.map((c) => normalize(row[c])).join("|"));
  }
  return present;
}

/** One spelling per value whatever the store returns: numbers as decimal text, hex in lower case. */
function normalize(value: unknown): string {
  return String(value).toLowerCase();
}
