import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnValue, TableName } from "./rows.js";

/**
 * The canonical L2 blocks, kept by the DuckDB sink as rows arrive, for the dashboard's first view after a
 * block: `canonical_l2_head_events`' own columns (so the API's SQL reads either) plus `prev_ts`, the time
 * of the canonical block one height below (null when none is recorded), which the block-time cadence
 * otherwise computes with a window over every block.
 *
 * Invariant (what the rollup test checks after every write of a run with reorgs): its rows are exactly
 * `SELECT_CANONICAL` over every height. Each write transaction recomputes the heights it can change — the
 * heights of the headers it adds, of the L2 block marks it adds (a reorg's orphan or restore), and one
 * above each (their `prev_ts`) — so a write costs O(its rows), not O(all blocks).
 */
export const L2_BLOCK_ROLLUP = "l2_block_rollup";

export const CREATE_L2_BLOCK_ROLLUP =
  `CREATE TABLE IF NOT EXISTS ${L2_BLOCK_ROLLUP} (l2_block_number BIGINT NOT NULL, block_hash VARCHAR PRIMARY KEY, ` +
  "block_ts BIGINT NOT NULL, sequencer VARCHAR NOT NULL, sum_gas_used HUGEINT NOT NULL, sum_tx BIGINT NOT NULL, " +
  "base_fee HUGEINT, prev_ts BIGINT)";

const COLUMNS = "l2_block_number, block_hash, block_ts, sequencer, sum_gas_used, sum_tx, base_fee, prev_ts";

/** The rollup's rows computed from the canonical view, for the heights `where` selects (alias `c`). */
export const selectCanonicalL2Blocks = (where = ""): string =>
  "SELECT c.l2_block_number, c.block_hash, c.block_ts, c.sequencer, c.sum_gas_used, c.sum_tx, c.base_fee, " +
  "(SELECT min(p.block_ts) FROM canonical_l2_head_events AS p WHERE p.l2_block_number = c.l2_block_number - 1) AS prev_ts " +
  `FROM canonical_l2_head_events AS c ${where}`;

/** Migration statements: the table, filled from what the database already holds (rerunnable). */
export const L2_BLOCK_ROLLUP_MIGRATION: readonly string[] = [
  CREATE_L2_BLOCK_ROLLUP,
  `DELETE FROM ${L2_BLOCK_ROLLUP}`,
  `INSERT INTO ${L2_BLOCK_ROLLUP} (${COLUMNS}) ${selectCanonicalL2Blocks()}`,
];

const HEIGHTS = "l2_rollup_heights";

/** The L2 heights whose canonical rows a write may change: headers added, blocks marked, and one above each. */
export function touchedL2Heights(
  byTable: ReadonlyMap<TableName, readonly Record<string, ColumnValue>[]>,
): number[] {
  const heights = new Set<number>();
  for (const row of byTable.get("l2_head_events") ?? []) heights.add(Number(row.l2_block_number));
  for (const row of byTable.get("block_marks") ?? [])
    if (row.chain === "l2") heights.add(Number(row.block_number));
  for (const n of [...heights]) heights.add(n + 1);
  return [...heights];
}

/** Recomputes the rollup at the heights a write touched; runs inside the write's transaction, after its rows. */
export async function refreshL2BlockRollup(
  conn: DuckDBConnection,
  byTable: ReadonlyMap<TableName, readonly Record<string, ColumnValue>[]>,
): Promise<void> {
  const heights = touchedL2Heights(byTable);
  if (heights.length === 0) return;
  await conn.run(`CREATE TEMP TABLE IF NOT EXISTS ${HEIGHTS} (n BIGINT)`);
  const appender = await conn.createAppender(HEIGHTS, "main", "temp");
  try {
    for (const n of heights) {
      appender.appendBigInt(BigInt(n));
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const touched = `IN (SELECT n FROM temp.main.${HEIGHTS})`;
  await conn.run(`DELETE FROM ${L2_BLOCK_ROLLUP} WHERE l2_block_number ${touched}`);
  await conn.run(
    `INSERT INTO ${L2_BLOCK_ROLLUP} (${COLUMNS}) ${selectCanonicalL2Blocks(`WHERE c.l2_block_number ${touched}`)}`,
  );
  await conn.run(`DELETE FROM temp.main.${HEIGHTS}`);
}
