import { createHash } from "node:crypto";
import {
  InvalidMessageError,
  PermanentError,
  SinkUnavailableError,
  TidemarkError,
} from "../shared/errors.js";
import { type ClickHouseConnection, type ClickHouseHttp, createClickHouseHttp } from "./clickhouseHttp.js";
import {
  CLICKHOUSE_DECIMAL_LIMIT,
  CLICKHOUSE_MIGRATIONS,
  createClickHouseMigrationsTable,
  expectedClickHouseColumns,
} from "./clickhouseSchema.js";
import { bindParams, parseTsvWithNamesAndTypes, sqlLiteral, tsvValue } from "./clickhouseSql.js";
import {
  type ColumnKind,
  type ColumnValue,
  columnsOf,
  MIGRATIONS_TABLE,
  PRIMARY_KEYS,
  rowsByTable,
  TABLE_COLUMNS,
  TABLE_NAMES,
  type TableName,
} from "./rows.js";
import { measureHealth, type Sink } from "./Sink.js";
import type { QueryParam, SqlQueryable } from "./SqlQueryable.js";

export interface CreateClickHouseSinkParameters extends ClickHouseConnection {
  /** Created when missing. A name of letters, digits and underscores. */
  readonly database: string;
  /** Rows kept in the per-table insert deduplication log, where the server has one (not 18.16). @default 1000 */
  readonly deduplicationWindow?: number;
}

export interface ClickHouseSink extends Sink, SqlQueryable {
  readonly dialect: "clickhouse";
  readonly database: string;
  /** Runs one statement in the sink's database; `$n` are bound as escaped literals. Rows as plain objects (Int64 / Decimal(P, 0) → bigint). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
}

/** What this server can do beyond 18.16, found by asking it rather than by parsing versions. */
interface ServerFeatures {
  readonly version: string;
  /** The `insert_deduplication_token` query setting (ClickHouse ≥ 22.2). */
  readonly deduplicationToken: boolean;
  /** The `non_replicated_deduplication_window` MergeTree setting, without which non-replicated tables ignore the token. */
  readonly nonReplicatedDeduplication: boolean;
  /** The MergeTree fsync settings this server has (`fsync_after_insert`, `fsync_part_directory`; ≥ 21.x). */
  readonly fsyncSettings: readonly string[];
  /** The `async_insert` query setting (≥ 21.11): a profile may turn it on, and then an insert is answered before it is in a part. */
  readonly asyncInsert: boolean;
}

/** The MergeTree settings that make an answered insert survive a power loss, where the server has them. */
const FSYNC_SETTINGS = ["fsync_after_insert", "fsync_part_directory"] as const;

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RETURNS_ROWS = /^\(*\s*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN)\b/i;

/**
 * The ClickHouse sink, for teams that already run ClickHouse.
 *
 * Idempotency has two layers. The one correctness rests on: every table is a
 * ReplacingMergeTree ordered by the rows.ts primary key and every reader goes
 * through FINAL (the canonical views do), so a row written twice — retried,
 * re-batched, reordered — is seen once. The optimization, where the server
 * supports it: each insert carries a deduplication token derived from its
 * observation ids, so a retried identical insert stores nothing at all.
 *
 * Durability: a write resolves only after every table's insert has been answered
 * 200 with `wait_end_of_query=1`, i.e. after the data is in parts and readable;
 * inserts are synchronous (`async_insert=0` is sent where the server has the
 * setting, so a profile that turns async inserts on cannot answer before the part
 * exists), and where the server has them every table sets `fsync_after_insert`
 * and `fsync_part_directory`, so an answered insert is on disk, not only in the
 * page cache (18.16 has none of these: it writes parts synchronously, without fsync).
 *
 * Atomicity: one table's insert of one write is one block, all or nothing. The
 * inserts of one write into several tables are not atomic together; the record
 * is acknowledged only when all answered, so a crash or a lost answer between
 * them leaves the record unacknowledged, and its redelivery writes it whole
 * again — the rows that had landed are replaced by themselves (same key), so the
 * canonical views show every row once. `tidemark verify` finds a partial record
 * that was never redelivered.
 */
export async function createClickHouseSink(params: CreateClickHouseSinkParameters): Promise<ClickHouseSink> {
  const { database } = params;
  if (!DATABASE_NAME.test(database)) {
    throw new PermanentError(`"${database}" is not a ClickHouse database name (letters, digits, _)`, {
      context: { database },
    });
  }
  const http = createClickHouseHttp(params);
  const where = { url: params.url, database };
  let features: ServerFeatures;
  try {
    features = await detectFeatures(http);
    await migrate(http, database, features, params.deduplicationWindow ?? 1000);
    await verifySchema(http, database);
  } catch (error) {
    throw asSinkError(error, `cannot open ClickHouse database ${database} at ${params.url}`, where);
  }

  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new SinkUnavailableError("ClickHouse sink is closed", { context: where });
  };

  const query = async <T>(sql: string, values: readonly QueryParam[] = []): Promise<T[]> => {
    ensureOpen();
    const bound = bindParams(sql, values);
    try {
      const statement = bound.trim().replace(/;$/, "");
      // Only statements that return rows take a FORMAT clause; DDL (RENAME, ALTER, …) returns none.
      if (!RETURNS_ROWS.test(statement)) {
        await http.exec(statement, { database });
        return [];
      }
      const text = await http.exec(`${statement}\nFORMAT TabSeparatedWithNamesAndTypes`, { database });
      return parseTsvWithNamesAndTypes(text) as T[];
    } catch (error) {
      throw asSinkError(error, "ClickHouse query failed", { ...where, sql: bound.slice(0, 200) });
    }
  };

  return {
    dialect: "clickhouse",
    database,

    async write(records) {
      ensureOpen();
      // Rows are built and checked before any insert: bad input fails as itself (permanent), not as an outage.
      const byTable = rowsByTable(records);
      for (const [table, rows] of byTable) checkDecimals(table, rows);
      for (const [table, rows] of byTable) {
        const unique = uniqueByKey(table, rows);
        const settings: Record<string, string> = {
          ...(features.deduplicationToken
            ? { insert_deduplication_token: deduplicationToken(table, unique) }
            : {}),
          ...(features.asyncInsert ? { async_insert: "0" } : {}),
        };
        const columns = columnsOf(table);
        const data = unique
          .map((row) => `${columns.map((c) => tsvValue(row[c] ?? null)).join("\t")}\n`)
          .join("");
        try {
          await http.exec(`INSERT INTO ${database}.${table} (${columns.join(", ")}) FORMAT TabSeparated`, {
            data,
            settings,
          });
        } catch (error) {
          throw asSinkError(error, `ClickHouse insert into ${table} failed`, {
            ...where,
            table,
            rows: unique.length,
            records: records.length,
          });
        }
      }
    },

    query,

    // Parts are immutable and every insert, merge or mutation replaces the set of active part names: the
    // set versions the data whoever wrote it (the processor Lambdas, another process).
    async dataVersion() {
      const [row] = await query<{ n: unknown; h: unknown }>(
        "SELECT count() AS n, toString(sum(cityHash64(name))) AS h FROM system.parts " +
          `WHERE database = '${database}' AND active`,
      );
      return `${String(row?.n)}:${String(row?.h)}`;
    },

    // The same, per table: a table's active parts change exactly when its rows may.
    async tableVersions() {
      const rows = await query<{ t: string; n: unknown; h: unknown }>(
        "SELECT table AS t, count() AS n, toString(sum(cityHash64(name))) AS h FROM system.parts " +
          `WHERE database = '${database}' AND active GROUP BY table`,
      );
      const parts = new Map(rows.map((r) => [r.t, `${String(r.n)}:${String(r.h)}`]));
      return (table: string) => parts.get(table) ?? "0";
    },

    // The server answers and the schema is in place.
    health: () =>
      measureHealth(async () => {
        ensureOpen();
        const [row] = await query<{ v: number }>(
          `SELECT toUInt32(max(version)) AS v FROM ${MIGRATIONS_TABLE}`,
        );
        return {
          ok: true,
          detail: `ClickHouse ${features.version} ${database} schema version ${String(row?.v)}`,
        };
      }),

    async close() {
      // Nothing to release: fetch holds no session; later calls fail as closed.
      closed = true;
    },
  };
}

async function detectFeatures(http: ClickHouseHttp): Promise<ServerFeatures> {
  const text = await http.exec(
    "SELECT version() AS version, " +
      "(SELECT count() FROM system.settings WHERE name = 'insert_deduplication_token') AS token, " +
      "(SELECT count() FROM system.merge_tree_settings WHERE name = 'non_replicated_deduplication_window') AS dedup_window, " +
      `${FSYNC_SETTINGS.map((name) => `(SELECT count() FROM system.merge_tree_settings WHERE name = '${name}') AS ${name}`).join(", ")}, ` +
      "(SELECT count() FROM system.settings WHERE name = 'async_insert') AS async_insert " +
      "FORMAT TabSeparatedWithNamesAndTypes",
  );
  const [row] = parseTsvWithNamesAndTypes(text);
  const has = (column: string) => BigInt(String(row?.[column] ?? 0)) > 0n;
  const nonReplicatedDeduplication = has("dedup_window");
  return {
    version: String(row?.version ?? "unknown"),
    // The token alone does nothing on a non-replicated table without the window: use both or neither.
    deduplicationToken: has("token") && nonReplicatedDeduplication,
    nonReplicatedDeduplication,
    fsyncSettings: FSYNC_SETTINGS.filter(has),
    asyncInsert: has("async_insert"),
  };
}

async function migrate(
  http: ClickHouseHttp,
  database: string,
  features: ServerFeatures,
  deduplicationWindow: number,
): Promise<void> {
  await http.exec(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await http.exec(createClickHouseMigrationsTable(database));
  const applied = new Set(
    parseTsvWithNamesAndTypes(
      await http.exec(
        `SELECT DISTINCT version FROM ${database}.${MIGRATIONS_TABLE} FORMAT TabSeparatedWithNamesAndTypes`,
      ),
    ).map((r) => Number(r.version)),
  );
  for (const m of CLICKHOUSE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    for (const statement of m.statements(database)) await http.exec(statement);
    // Recorded last: a migration interrupted before this line reruns, which its IF NOT EXISTS statements allow.
    await http.exec(
      `INSERT INTO ${database}.${MIGRATIONS_TABLE} (version, description) VALUES ` +
        `(${sqlLiteral(m.version)}, ${sqlLiteral(m.description)})`,
    );
  }
  // Not numbered migrations: they depend on the server, which can be upgraded under existing tables.
  const settings = [
    ...(features.nonReplicatedDeduplication
      ? [`non_replicated_deduplication_window = ${Math.max(1, Math.trunc(deduplicationWindow))}`]
      : []),
    ...features.fsyncSettings.map((name) => `${name} = 1`),
  ];
  if (settings.length > 0) {
    for (const table of TABLE_NAMES) {
      await http.exec(`ALTER TABLE ${database}.${table} MODIFY SETTING ${settings.join(", ")}`);
    }
  }
}

/** Fails fast when the database was made by a different schema (a migration missing or edited). */
async function verifySchema(http: ClickHouseHttp, database: string): Promise<void> {
  const actual = parseTsvWithNamesAndTypes(
    await http.exec(
      `SELECT table, name, type FROM system.columns WHERE database = ${sqlLiteral(database)} FORMAT TabSeparatedWithNamesAndTypes`,
    ),
  );
  const problems: string[] = [];
  for (const [table, columns] of expectedClickHouseColumns()) {
    for (const [column, type] of columns) {
      const found = actual.find((r) => r.table === table && r.name === column);
      if (found === undefined) problems.push(`${table}.${column} missing`);
      else if (found.type !== type)
        problems.push(`${table}.${column} is ${String(found.type)}, expected ${type}`);
    }
  }
  if (problems.length > 0) throw new Error(`schema drift: ${problems.join("; ")}`);
}

/** Decimal(38, 0) would reject the whole insert as a server error; name the value as the bad input it is. */
function checkDecimals(table: TableName, rows: readonly Record<string, ColumnValue>[]): void {
  const kinds = TABLE_COLUMNS[table] as Record<string, ColumnKind>;
  const wide = columnsOf(table).filter((c) => kinds[c] === "bigint");
  for (const row of rows) {
    for (const column of wide) {
      const v = row[column];
      if (typeof v === "bigint" && (v >= CLICKHOUSE_DECIMAL_LIMIT || v <= -CLICKHOUSE_DECIMAL_LIMIT)) {
        throw new InvalidMessageError(`${table}.${column} = ${v} does not fit ClickHouse Decimal(38, 0)`, {
          context: { table, column, observationId: row.observation_id },
        });
      }
    }
  }
}

/** One row per primary key within a batch (the same record twice in one batch is one row). */
function uniqueByKey(
  table: TableName,
  rows: readonly Record<string, ColumnValue>[],
): Record<string, ColumnValue>[] {
  const key = PRIMARY_KEYS[table] as readonly string[];
  const seen = new Map<string, Record<string, ColumnValue>>();
  for (const row of rows) seen.set(key.map((k) => String(row[k])).join("\u0000"), row);
  return [...seen.values()];
}

/**
 * The same set of observations always yields the same rows, so the token is a
 * hash of the table and the sorted, distinct observation ids: a retried insert
 * of the same set is dropped by the server; any other set is a new insert.
 */
function deduplicationToken(table: TableName, rows: readonly Record<string, ColumnValue>[]): string {
  const ids = [...new Set(rows.map((r) => String(r.observation_id)))].sort();
  return createHash("sha256").update(table).update("\n").update(ids.join("\n")).digest("hex");
}

function asSinkError(error: unknown, what: string, context: Record<string, unknown>): Error {
  // Our own typed errors already say whether to retry.
  if (error instanceof TidemarkError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkUnavailableError(`${what}: ${message}`, { cause: error, context });
}
