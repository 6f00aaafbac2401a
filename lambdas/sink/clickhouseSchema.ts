import { API_TABLE_NAMES, isApiTable } from "./apiEventRows.js";
import {
  CANONICAL_VIEWS,
  type CanonicalView,
  CURRENT_ORPHANS_VIEW,
  currentOrphansSelect,
  MARKS_TABLE,
  orphanedHashesSelect,
} from "./canonicalViews.js";
import { isFeeTable } from "./feeRows.js";
import { LEGACY_MARK_COLUMNS, LEGACY_ORPHANED_BLOCKS, legacyMarksSelect } from "./legacyOrphanedBlocks.js";
import { isPreconfTable } from "./preconfRows.js";
import {
  type ColumnKind,
  columnsOf,
  MIGRATIONS_TABLE,
  NULLABLE_COLUMNS,
  PRIMARY_KEYS,
  TABLE_COLUMNS,
  TABLE_NAMES,
  type TableName,
} from "./rows.js";
import { isShastaTable } from "./shastaRows.js";

/**
 * ClickHouse's physical type per column kind. Gas and fees are Decimal(38, 0)
 * rather than (U)Int128, which 18.16 lacks: exact integers below 10^38, about
 * 2^126 — far above any gas × base fee a chain can produce.
 */
export const CLICKHOUSE_TYPES: { readonly [K in ColumnKind]: string } = {
  int: "Int64",
  bigint: "Decimal(38, 0)",
  text: "String",
};

/** The largest magnitude a Decimal(38, 0) column holds, plus one. */
export const CLICKHOUSE_DECIMAL_LIMIT = 10n ** 38n;

export interface ClickHouseMigration {
  readonly version: number;
  readonly description: string;
  /** Each statement is itself idempotent (IF NOT EXISTS): a half-applied migration, or two cold starts at once, can rerun it. */
  readonly statements: (database: string) => readonly string[];
}

const typeOf = (table: TableName, column: string): string => {
  const kind = (TABLE_COLUMNS[table] as Record<string, ColumnKind>)[column] as ColumnKind;
  const type = CLICKHOUSE_TYPES[kind];
  return NULLABLE_COLUMNS.has(column) ? `Nullable(${type})` : type;
};

/**
 * ReplacingMergeTree ordered by the rows.ts primary key: rows with the same key
 * (a retried or re-batched write) collapse into one when parts merge, and
 * readers that must not see the not-yet-merged copies read with FINAL.
 */
const createTable = (database: string, table: TableName): string =>
  createTableOf(
    database,
    table,
    columnsOf(table).map((c) => `${c} ${typeOf(table, c)}`),
    PRIMARY_KEYS[table],
  );

function createTableOf(
  database: string,
  table: string,
  columns: readonly string[],
  orderBy: readonly string[],
): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${database}.${table} (${[...columns, "inserted_at DateTime DEFAULT now()"].join(", ")}) ` +
    `ENGINE = ReplacingMergeTree ORDER BY (${orderBy.join(", ")})`
  );
}

/**
 * The canonical view in ClickHouse SQL: FINAL collapses duplicates not merged yet; the orphaned hashes
 * are the portable subquery every adapter runs (canonicalViews.ts). Tables are qualified: a view's
 * unqualified names would resolve against the reader's database, not the view's.
 */
export function clickhouseCanonicalViewSelect(database: string, v: CanonicalView): string {
  return (
    `SELECT * FROM ${database}.${v.table} FINAL WHERE ${v.hashColumn} NOT IN ` +
    `(${orphanedHashesSelect(v.chain, (t) => `${database}.${t}`)})`
  );
}

/** The view migrations 1 and 2 created (never edited: see legacyOrphanedBlocks.ts). */
function legacyClickhouseCanonicalViewSelect(database: string, v: CanonicalView): string {
  return (
    `SELECT * FROM ${database}.${v.table} FINAL WHERE ${v.hashColumn} NOT IN ` +
    `(SELECT block_hash FROM ${database}.${LEGACY.table} WHERE chain = '${v.chain}')`
  );
}

const LEGACY = LEGACY_ORPHANED_BLOCKS;
/** Views of the tables that existed by migration 4 (later tables create their own views). */
const VIEWS_BY_4 = CANONICAL_VIEWS.filter((v) => !isFeeTable(v.table) && !isPreconfTable(v.table));
const legacyColumns = Object.entries(LEGACY.columns).map(([c, kind]) => `${c} ${CLICKHOUSE_TYPES[kind]}`);

/**
 * Ordered migrations. A schema change is a new entry; an applied entry is never
 * edited (servers that ran it will not run it again). `expectedClickHouseColumns`
 * lets the sink catch drift at start.
 */
export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    description: "tables (ReplacingMergeTree by primary key) and canonical views",
    // The Pacaya-era tables, exactly as this migration has always created them.
    statements: (database) => [
      ...TABLE_NAMES.filter(
        (t) =>
          !isShastaTable(t) && !isApiTable(t) && !isFeeTable(t) && !isPreconfTable(t) && t !== MARKS_TABLE,
      ).map((t) => createTable(database, t)),
      createTableOf(database, LEGACY.table, legacyColumns, LEGACY.primaryKey),
      ...VIEWS_BY_4.filter((v) => !isShastaTable(v.table)).map(
        (v) =>
          `CREATE VIEW IF NOT EXISTS ${database}.${v.view} AS ${legacyClickhouseCanonicalViewSelect(database, v)}`,
      ),
    ],
  },
  {
    version: 2,
    description: "Shasta tables (ReplacingMergeTree by primary key) and their canonical views",
    statements: (database) => [
      ...TABLE_NAMES.filter(isShastaTable).map((t) => createTable(database, t)),
      ...CANONICAL_VIEWS.filter((v) => isShastaTable(v.table)).map(
        (v) =>
          `CREATE VIEW IF NOT EXISTS ${database}.${v.view} AS ${legacyClickhouseCanonicalViewSelect(database, v)}`,
      ),
    ],
  },
  {
    // After the Shasta tables (2): existing databases, whichever they ran, apply what they lack.
    version: 3,
    description: "ingest API events (api_events, ReplacingMergeTree by stream and sequence)",
    statements: (database) => API_TABLE_NAMES.map((t) => createTable(database, t)),
  },
  {
    // #15: canonicity becomes reversible. Every statement reruns safely: the copy only adds rows that
    // collapse by key (and max() ignores copies), each view is dropped and created again.
    version: 4,
    description:
      "block marks (orphaned or restored, by seq and part); canonical views follow the latest mark",
    statements: (database) => {
      const q = (t: string) => `${database}.${t}`;
      return [
        createTable(database, MARKS_TABLE),
        `INSERT INTO ${q(MARKS_TABLE)} (${LEGACY_MARK_COLUMNS}) ${legacyMarksSelect(q)}`,
        ...VIEWS_BY_4.flatMap((v) => [
          `DROP TABLE IF EXISTS ${q(v.view)}`,
          `CREATE VIEW ${q(v.view)} AS ${clickhouseCanonicalViewSelect(database, v)}`,
        ]),
        `DROP TABLE IF EXISTS ${q(CURRENT_ORPHANS_VIEW)}`,
        `CREATE VIEW ${q(CURRENT_ORPHANS_VIEW)} AS ${currentOrphansSelect(q)}`,
      ];
    },
  },
  {
    // #12 item 5: fees per L2 block and L1 costs per proposing / proving transaction (feeRows.ts).
    version: 5,
    description: "fees (l2_block_fees) and L1 transaction costs (l1_tx_costs) with their canonical views",
    statements: (database) => [
      ...TABLE_NAMES.filter(isFeeTable).map((t) => createTable(database, t)),
      ...CANONICAL_VIEWS.filter((v) => isFeeTable(v.table)).flatMap((v) => [
        `DROP TABLE IF EXISTS ${database}.${v.view}`,
        `CREATE VIEW ${database}.${v.view} AS ${clickhouseCanonicalViewSelect(database, v)}`,
      ]),
    ],
  },
  {
    // #12 item 5: the preconfirmation operators of each epoch, read from the PreconfWhitelist (preconfRows.ts).
    version: 6,
    description: "preconfirmation operators per epoch (preconf_epochs) with its canonical view",
    statements: (database) => [
      ...TABLE_NAMES.filter(isPreconfTable).map((t) => createTable(database, t)),
      ...CANONICAL_VIEWS.filter((v) => isPreconfTable(v.table)).flatMap((v) => [
        `DROP TABLE IF EXISTS ${database}.${v.view}`,
        `CREATE VIEW ${database}.${v.view} AS ${clickhouseCanonicalViewSelect(database, v)}`,
      ]),
    ],
  },
];

export const createClickHouseMigrationsTable = (database: string): string =>
  `CREATE TABLE IF NOT EXISTS ${database}.${MIGRATIONS_TABLE} ` +
  "(version UInt32, description String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version";

/** Expected columns per table (name → ClickHouse type as system.columns prints it). */
export function expectedClickHouseColumns(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const table of TABLE_NAMES) {
    const cols = new Map(columnsOf(table).map((c) => [c, typeOf(table, c)]));
    cols.set("inserted_at", "DateTime");
    out.set(table, cols);
  }
  return out;
}
