import { DUCKDB_STATS } from "../../queries/durationStatsSql.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import { chainMetricQueriesOf } from "../sqlDialect.js";

/**
 * Where the API reads canonical L2 blocks: the store's rollup when it keeps one (DuckDB: the same rows as
 * the canonical view, maintained per write, l2BlockRollup.ts), else the canonical view. Both have the
 * view's columns, so the SQL that names this relation is the same over either.
 */
export const l2BlocksOf = (db: SqlQueryable): string => db.l2BlockRollup ?? "canonical_l2_head_events";

/** blocks, txs, span of the canonical L2 blocks in the window ($1, $2): the chain metric's own definition. */
export const l2TotalsSql = (db: SqlQueryable): string =>
  db.l2BlockRollup === undefined
    ? chainMetricQueriesOf(db).l2Totals
    : "SELECT count(*)::INTEGER AS blocks, coalesce(sum(sum_tx), 0)::DOUBLE AS txs, " +
      `(max(block_ts) - min(block_ts))::DOUBLE AS span FROM ${db.l2BlockRollup} WHERE block_ts >= $1 AND block_ts < $2`;

/**
 * The L2 block-time stats (n−1 → n, both in the window): over the rollup, each block's `prev_ts` is its
 * parent height's time already, so no window over every block is needed.
 */
export const l2CadenceSql = (db: SqlQueryable): string =>
  db.l2BlockRollup === undefined
    ? chainMetricQueriesOf(db).l2Cadence
    : `SELECT ${DUCKDB_STATS("dt")} FROM (SELECT block_ts - prev_ts AS dt FROM ${db.l2BlockRollup} ` +
      "WHERE block_ts >= $1 AND block_ts < $2 AND prev_ts >= $1 AND prev_ts < $2)";
