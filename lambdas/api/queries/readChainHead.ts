import type { Chain } from "../../shared/events.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import { toNumber } from "../sqlDialect.js";

export interface ChainHead {
  readonly chain: Chain;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Unix seconds. */
  readonly timestamp: number;
  /** The block's coinbase (on the L2, its sequencer). */
  readonly miner: string;
}

/** The highest canonical block recorded for a chain, or null before the first one. */
export async function readChainHead(db: SqlQueryable, chain: Chain): Promise<ChainHead | null> {
  const sql =
    chain === "l1"
      ? "SELECT l1_block_number AS n, block_hash AS h, block_ts AS ts, miner AS m FROM canonical_l1_head_events ORDER BY l1_block_number DESC, block_hash LIMIT 1"
      : db.l2BlockRollup === undefined
        ? "SELECT l2_block_number AS n, block_hash AS h, block_ts AS ts, sequencer AS m FROM canonical_l2_head_events ORDER BY l2_block_number DESC, block_hash LIMIT 1"
        : // The same row from the rollup (a table): its highest height, then a read of that height, not a sort.
          `SELECT l2_block_number AS n, block_hash AS h, block_ts AS ts, sequencer AS m FROM ${db.l2BlockRollup} ` +
          `WHERE l2_block_number = (SELECT max(l2_block_number) FROM ${db.l2BlockRollup}) ORDER BY block_hash LIMIT 1`;
  const [row] = await db.query<{ n: unknown; h: string; ts: unknown; m: string }>(sql);
  if (row === undefined) return null;
  return { chain, blockNumber: toNumber(row.n), blockHash: row.h, timestamp: toNumber(row.ts), miner: row.m };
}
