import { PermanentError } from "../shared/errors.js";
import { type ColumnValue, NULLABLE_COLUMNS, TABLE_COLUMNS, type TableName } from "./rows.js";

/** One row as the Firehose sink encoded it, read back: its table and typed columns. */
export interface DecodedFirehoseRow {
  readonly table: TableName;
  readonly row: Record<string, ColumnValue>;
}

/**
 * The inverse of the Firehose sink's encoding (firehoseSink.ts encodeRows): a JSON line with a
 * `table` field and the row's columns, bigints as decimal strings. What Firehose could not deliver
 * comes back through it (`tidemark sink replay`), so a line that is not such a row is an error that
 * names the problem, never a silently dropped row.
 */
export function decodeFirehoseRow(line: string): DecodedFirehoseRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new PermanentError(`not a JSON row: ${(error as Error).message}`, {
      context: { line: line.slice(0, 200) },
    });
  }
  const object = parsed as Record<string, unknown> | null;
  const table = object?.table;
  if (typeof table !== "string" || !Object.hasOwn(TABLE_COLUMNS, table)) {
    throw new PermanentError(`row names no known table (table: ${JSON.stringify(table)})`, {
      context: { line: line.slice(0, 200) },
    });
  }
  const kinds = TABLE_COLUMNS[table as TableName] as Record<string, "int" | "bigint" | "text">;
  const row: Record<string, ColumnValue> = {};
  for (const [column, kind] of Object.entries(kinds)) {
    const value = (object as Record<string, unknown>)[column];
    if (value === null || value === undefined) {
      if (!NULLABLE_COLUMNS.has(column))
        throw new PermanentError(`${table} row has no ${column}`, { context: { table, column } });
      row[column] = null;
      continue;
    }
    row[column] = columnValue(table, column, kind, value);
  }
  return { table: table as TableName, row };
}

function columnValue(table: string, column: string, kind: "int" | "bigint" | "text", value: unknown) {
  const bad = () =>
    new PermanentError(`${table}.${column} is ${JSON.stringify(value)}, not a ${kind}`, {
      context: { table, column },
    });
  if (kind === "text") {
    if (typeof value !== "string") throw bad();
    return value;
  }
  if (kind === "int") {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) throw bad();
    return value;
  }
  if (typeof value !== "string" && typeof value !== "number") throw bad();
  try {
    return BigInt(value);
  } catch {
    throw bad();
  }
}
