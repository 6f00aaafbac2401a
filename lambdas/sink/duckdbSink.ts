import { resolve } from "node:path";
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { PermanentError, SinkUnavailableError, TidemarkError } from "../shared/errors.js";
import { CANONICAL_VIEWS } from "./canonicalViews.js";
import { CREATE_MIGRATIONS_TABLE, expectedColumns, MIGRATIONS } from "./duckdbSchema.js";
import { L2_BLOCK_ROLLUP, refreshL2BlockRollup, touchedL2Heights } from "./l2BlockRollup.js";
import {
  type ColumnKind,
  type ColumnValue,
  columnsOf,
  MIGRATIONS_TABLE,
  rowsByTable,
  TABLE_COLUMNS,
  TABLE_NAMES,
  type TableName,
} from "./rows.js";
import { measureHealth, type Sink } from "./Sink.js";
import type { QueryParam, SqlQueryable } from "./SqlQueryable.js";
import { createWriteGeneration } from "./writeGeneration.js";

export interface CreateDuckDbSinkParameters {
  /** A database file, or ":memory:" (tests; nothing survives the process). */
  readonly path: string;
}

export interface DuckDbSink extends Sink, SqlQueryable {
  /** Runs one SQL statement on the read connection; rows as plain objects (BIGINT/HUGEINT → bigint, timestamps → Date). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
  /** Writes a table or view to a Parquet file (HUGEINT columns as DECIMAL(38,0), which Parquet holds exactly). */
  exportParquet(table: string, file: string): Promise<void>;
  /** Writes rows already built per table, in one transaction, ignoring rows already stored (a local Firehose destination). */
  writeRows(byTable: ReadonlyMap<TableName, readonly Record<string, ColumnValue>[]>): Promise<void>;
}

/**
 * The embedded columnar sink.
 *
 * DuckDB is single-writer: one process holds a database file read-write.
 * Run ONE sink per process and per file and share it: another process opening
 * the file fails with SinkUnavailableError (DuckDB's file lock); a second
 * createDuckDbSink on the same file in this process fails with PermanentError.
 * Within the sink, writes are serialized on one connection (one transaction at
 * a time) and may be called concurrently; queries use a second connection and
 * see only committed data.
 *
 * Each write is one transaction: all rows of all records, or none. COMMIT
 * returns after DuckDB has flushed its write-ahead log, so a resolved write
 * survives a crash; a retried write is a no-op for rows already stored.
 */
export async function createDuckDbSink(params: CreateDuckDbSinkParameters): Promise<DuckDbSink> {
  const { path } = params;
  // DuckDB's file lock is per process, so it cannot stop a second instance in this one: we do.
  const lockKey = path === ":memory:" ? undefined : resolve(path);
  if (lockKey !== undefined && openFiles.has(lockKey)) {
    throw new PermanentError(
      `DuckDB is single-writer: ${lockKey} is already open in this process; share its sink`,
      {
        context: { path },
      },
    );
  }
  if (lockKey !== undefined) openFiles.add(lockKey);
  let instance: DuckDBInstance | undefined;
  let writer: DuckDBConnection;
  let reader: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(path);
    writer = await instance.connect();
    reader = await instance.connect();
    await migrate(writer);
    await verifySchema(writer);
    for (const table of TABLE_NAMES) {
      // Staging tables are per connection (TEMP) and have no key, so a batch may carry the same row twice.
      await writer.run(
        `CREATE OR REPLACE TEMP TABLE ${stagingOf(table)} AS SELECT ${columnsOf(table).join(", ")} FROM ${table} LIMIT 0`,
      );
    }
  } catch (error) {
    instance?.closeSync();
    if (lockKey !== undefined) openFiles.delete(lockKey);
    throw asSinkError(error, `cannot open DuckDB at ${path}`, { path });
  }
  const db = instance;

  let closed = false;
  // Invariant: at most one write transaction at a time on `writer` (chained).
  let tail: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const ensureOpen = () => {
    if (closed) throw new SinkUnavailableError("DuckDB sink is closed", { context: { path } });
  };

  // Invariant: this sink is the file's only writer (the lock above), so counting its writes versions the data.
  const generation = createWriteGeneration();
  const writeRows = (byTable: ReadonlyMap<TableName, readonly Record<string, ColumnValue>[]>) =>
    generation.track(
      () =>
        serialized(async () => {
          ensureOpen();
          if (byTable.size === 0) return;
          try {
            await writer.run("BEGIN TRANSACTION");
            for (const [table, rows] of byTable) await insertOrIgnore(writer, table, rows);
            await refreshL2BlockRollup(writer, byTable);
            await writer.run("COMMIT");
          } catch (error) {
            await writer.run("ROLLBACK").catch(() => undefined);
            throw asSinkError(error, "DuckDB write failed", { path, tables: [...byTable.keys()] });
          }
        }),
      // The rollup is written in the same transaction whenever the heights it keeps are touched.
      touchedL2Heights(byTable).length > 0 ? [...byTable.keys(), L2_BLOCK_ROLLUP] : byTable.keys(),
    );

  return {
    write(records) {
      // Rows are built before the transaction: bad input fails as itself (permanent), not as a sink outage.
      return Promise.resolve().then(() => writeRows(rowsByTable(records)));
    },

    writeRows: (byTable) => writeRows(byTable),

    dataVersion: async () => generation.current(),

    tableVersions: async () => generation.tables(),

    l2BlockRollup: L2_BLOCK_ROLLUP,

    async query<T>(sql: string, values: readonly QueryParam[] = []) {
      ensureOpen();
      const run = async () => {
        try {
          const reader_ = await reader.runAndReadAll(sql, [...values]);
          return reader_.getRowObjectsJS() as T[];
        } catch (error) {
          throw asSinkError(error, "DuckDB query failed", { path, sql: sql.slice(0, 200) });
        }
      };
      // A statement that may change the tables (DDL, DML) is a write for the data version too.
      return READS_ONLY.test(sql) ? run() : generation.track(run);
    },

    async exportParquet(table, file) {
      ensureOpen();
      const known = [...TABLE_NAMES, ...CANONICAL_VIEWS.map((v) => v.view)];
      if (!known.includes(table))
        throw new PermanentError(`unknown table or view: ${table}`, { context: { table } });
      try {
        const cols = await reader.runAndReadAll(
          "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND data_type = 'HUGEINT'",
          [table],
        );
        const replace = cols
          .getRowObjectsJS()
          .map((r) => `CAST(${String(r.column_name)} AS DECIMAL(38,0)) AS ${String(r.column_name)}`);
        const select =
          replace.length > 0
            ? `SELECT * REPLACE (${replace.join(", ")}) FROM ${table}`
            : `SELECT * FROM ${table}`;
        await reader.run(`COPY (${select}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
      } catch (error) {
        throw asSinkError(error, `DuckDB export of ${table} failed`, { path, table, file });
      }
    },

    // The database answers and the schema is in place.
    health: () =>
      measureHealth(async () => {
        ensureOpen();
        const rows = await reader.runAndReadAll(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`);
        const version = rows.getRowObjectsJS()[0]?.v;
        return { ok: true, detail: `DuckDB ${path} schema version ${String(version)}` };
      }),

    close() {
      return serialized(async () => {
        if (closed) return;
        closed = true;
        try {
          writer.closeSync();
          reader.closeSync();
          db.closeSync();
        } finally {
          if (lockKey !== undefined) openFiles.delete(lockKey);
        }
      });
    },
  };
}

const READS_ONLY = /^\s*(SELECT|WITH)\b/i;

/** Database files open in this process (resolved paths). */
const openFiles = new Set<string>();

async function migrate(conn: DuckDBConnection): Promise<void> {
  await conn.run(CREATE_MIGRATIONS_TABLE);
  const applied = new Set(
    (await conn.runAndReadAll(`SELECT version FROM ${MIGRATIONS_TABLE}`))
      .getRowObjectsJS()
      .map((r) => Number(r.version)),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await conn.run("BEGIN TRANSACTION");
    try {
      for (const statement of m.statements) await conn.run(statement);
      await conn.run(`INSERT OR IGNORE INTO ${MIGRATIONS_TABLE} (version, description) VALUES ($1, $2)`, [
        m.version,
        m.description,
      ]);
      await conn.run("COMMIT");
    } catch (error) {
      await conn.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}

/** Fails fast when a database file was made by a different schema (a migration missing or edited). */
async function verifySchema(conn: DuckDBConnection): Promise<void> {
  const actual = (
    await conn.runAndReadAll(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'",
    )
  ).getRowObjectsJS();
  const problems: string[] = [];
  for (const [table, columns] of expectedColumns()) {
    for (const [column, type] of columns) {
      const found = actual.find((r) => r.table_name === table && r.column_name === column);
      if (found === undefined) problems.push(`${table}.${column} missing`);
      else if (found.data_type !== type)
        problems.push(`${table}.${column} is ${String(found.data_type)}, expected ${type}`);
    }
  }
  if (problems.length > 0) throw new Error(`schema drift: ${problems.join("; ")}`);
}

const stagingOf = (table: TableName) => `staging_${table}`;

/**
 * Appends the rows into the table's staging table, then moves them with one
 * INSERT OR IGNORE … SELECT: rows whose primary key exists (a re-write, or a
 * duplicate inside the batch) are skipped, which makes the write idempotent.
 */
async function insertOrIgnore(
  conn: DuckDBConnection,
  table: TableName,
  rows: readonly Record<string, ColumnValue>[],
) {
  const columns = columnsOf(table);
  const kinds = TABLE_COLUMNS[table] as Record<string, ColumnKind>;
  const staging = stagingOf(table);
  const appender = await conn.createAppender(staging, "main", "temp");
  try {
    for (const row of rows) {
      for (const column of columns) append(appender, kinds[column] as ColumnKind, row[column] ?? null);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const list = columns.join(", ");
  await conn.run(`INSERT OR IGNORE INTO ${table} (${list}) SELECT ${list} FROM temp.main.${staging}`);
  await conn.run(`DELETE FROM temp.main.${staging}`);
}

function append(appender: DuckDBAppender, kind: ColumnKind, value: ColumnValue): void {
  if (value === null) appender.appendNull();
  else if (kind === "int") appender.appendBigInt(BigInt(value));
  else if (kind === "bigint") appender.appendHugeInt(BigInt(value));
  else appender.appendVarchar(String(value));
}

function asSinkError(error: unknown, what: string, context: Record<string, unknown>): Error {
  // Our own typed errors already say whether to retry.
  if (error instanceof TidemarkError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkUnavailableError(`${what}: ${message}`, { cause: error, context });
}
