import { API_TABLE_NAMES, isApiTable } from "./apiEventRows.js";
import {
  CANONICAL_VIEWS,
  CURRENT_ORPHANS_VIEW,
  canonicalViewSelect,
  currentOrphansSelect,
  MARKS_TABLE,
} from "./canonicalViews.js";
import { isFeeTable } from "./feeRows.js";
import { L2_BLOCK_ROLLUP_MIGRATION } from "./l2BlockRollup.js";
import {
  LEGACY_MARK_COLUMNS,
  LEGACY_ORPHANED_BLOCKS,
  legacyCanonicalViewSelect,
  legacyMarksSelect,
} from "./legacyOrphanedBlocks.js";
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

/** DuckDB's physical type for each column kind: gas and fees need 128 bits (ClickHouse UInt128). */
export const DUCKDB_TYPES: { readonly [K in ColumnKind]: string } = {
  int: "BIGINT",
  bigint: "HUGEINT",
  text: "VARCHAR",
};

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** Each statement is itself idempotent (IF NOT EXISTS / OR REPLACE): a half-applied migration can rerun. */
  readonly statements: readonly string[];
}

const createTable = (table: TableName): string =>
  createTableOf(table, TABLE_COLUMNS[table] as Record<string, ColumnKind>, PRIMARY_KEYS[table]);

function createTableOf(
  table: string,
  kinds: Readonly<Record<string, ColumnKind>>,
  primaryKey: readonly string[],
): string {
  const columns = Object.keys(kinds).map(
    (c) => `${c} ${DUCKDB_TYPES[kinds[c] as ColumnKind]}${NULLABLE_COLUMNS.has(c) ? "" : " NOT NULL"}`,
  );
  columns.push("inserted_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp");
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(", ")}, PRIMARY KEY (${primaryKey.join(", ")}))`;
}

/** The tables migration 1 created: the Pacaya-era ones, orphan marks in their legacy shape. */
const PACAYA_TABLES = TABLE_NAMES.filter(
  (t) => !isShastaTable(t) && !isApiTable(t) && !isFeeTable(t) && t !== MARKS_TABLE,
);
/** Views of the tables that existed by migration 4 (later tables create their own views). */
const VIEWS_BY_4 = CANONICAL_VIEWS.filter((v) => !isFeeTable(v.table));
const LEGACY = LEGACY_ORPHANED_BLOCKS;

/**
 * Ordered schema migrations. A schema change is a new entry (ALTER TABLE …
 * ADD COLUMN IF NOT EXISTS …); an applied entry is never edited, because
 * existing databases will not run it again. `verifySchema` catches drift.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "tables, primary keys and canonical views",
    // The Pacaya-era tables, exactly as this migration has always created them.
    statements: [
      ...PACAYA_TABLES.map(createTable),
      createTableOf(LEGACY.table, LEGACY.columns, LEGACY.primaryKey),
      ...VIEWS_BY_4.filter((v) => !isShastaTable(v.table)).map(
        (v) => `CREATE OR REPLACE VIEW ${v.view} AS ${legacyCanonicalViewSelect(v)}`,
      ),
    ],
  },
  {
    version: 2,
    description: "Shasta tables (proposals, proofs, sources, L2 links, bonds, …) and their canonical views",
    statements: [
      ...TABLE_NAMES.filter(isShastaTable).map(createTable),
      ...CANONICAL_VIEWS.filter((v) => isShastaTable(v.table)).map(
        (v) => `CREATE OR REPLACE VIEW ${v.view} AS ${legacyCanonicalViewSelect(v)}`,
      ),
    ],
  },
  {
    // After the Shasta tables (2): existing databases, whichever they ran, apply what they lack.
    version: 3,
    description: "ingest API events (api_events, keyed by stream and sequence)",
    statements: API_TABLE_NAMES.map(createTable),
  },
  {
    // #15: canonicity becomes reversible. One transaction (duckdbSink.ts migrate): all of it or none.
    version: 4,
    description:
      "block marks (orphaned or restored, by seq and part); canonical views follow the latest mark",
    statements: [
      createTable(MARKS_TABLE),
      `INSERT OR IGNORE INTO ${MARKS_TABLE} (${LEGACY_MARK_COLUMNS}) ${legacyMarksSelect((t) => t)}`,
      ...VIEWS_BY_4.map((v) => `CREATE OR REPLACE VIEW ${v.view} AS ${canonicalViewSelect(v)}`),
      `CREATE OR REPLACE VIEW ${CURRENT_ORPHANS_VIEW} AS ${currentOrphansSelect()}`,
    ],
  },
  {
    // #12 item 5: fees per L2 block and L1 costs per proposing / proving transaction (feeRows.ts).
    version: 5,
    description: "fees (l2_block_fees) and L1 transaction costs (l1_tx_costs) with their canonical views",
    statements: [
      ...TABLE_NAMES.filter(isFeeTable).map(createTable),
      ...CANONICAL_VIEWS.filter((v) => isFeeTable(v.table)).map(
        (v) => `CREATE OR REPLACE VIEW ${v.view} AS ${canonicalViewSelect(v)}`,
      ),
    ],
  },
  {
    // #13: the dashboard's first view after a block reads the canonical L2 blocks kept as rows arrive.
    version: 6,
    description: "l2_block_rollup: canonical L2 blocks with their parent height's time, kept by each write",
    statements: L2_BLOCK_ROLLUP_MIGRATION,
  },
];

export const CREATE_MIGRATIONS_TABLE =
  `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, ` +
  "applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)";

/** Expected columns per table (name → DuckDB type), to compare with information_schema. */
export function expectedColumns(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const table of TABLE_NAMES) {
    const kinds = TABLE_COLUMNS[table] as Record<string, ColumnKind>;
    const cols = new Map(columnsOf(table).map((c) => [c, DUCKDB_TYPES[kinds[c] as ColumnKind]]));
    cols.set("inserted_at", "TIMESTAMP WITH TIME ZONE");
    out.set(table, cols);
  }
  return out;
}
