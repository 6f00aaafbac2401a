import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { TimeRange } from "../apiParams.js";
import { joinUsing, toNumber } from "../sqlDialect.js";
import { l2BlocksOf } from "./l2BlockSource.js";

export interface BlockTimeHistogram {
  /** Block-time samples: consecutive canonical L2 blocks n−1 → n both inside the window (as the cadence metric counts them). */
  readonly samples: number;
  /** One bucket per whole second of block time, ascending. */
  readonly buckets: readonly { readonly seconds: number; readonly blocks: number }[];
}

/** How many L2 blocks came 1 s, 2 s, … after their parent, in the window. */
export async function readBlockTimeHistogram(
  db: SqlQueryable,
  range: TimeRange,
): Promise<BlockTimeHistogram> {
  const inWindow = "block_ts >= $1 AND block_ts < $2";
  const pairs = joinUsing(
    db,
    `SELECT l2_block_number AS n, block_ts AS ts FROM ${l2BlocksOf(db)} WHERE ${inWindow}`,
    `SELECT l2_block_number + 1 AS n, block_ts AS prev_ts FROM ${l2BlocksOf(db)} WHERE ${inWindow}`,
    "n",
  );
  const rows = await db.query<{ dt: unknown; c: unknown }>(
    `SELECT ts - prev_ts AS dt, count(*) AS c FROM ${pairs} GROUP BY dt ORDER BY dt`,
    [range.gte, range.lt],
  );
  const buckets = rows.map((r) => ({ seconds: toNumber(r.dt), blocks: toNumber(r.c) }));
  return { samples: buckets.reduce((s, b) => s + b.blocks, 0), buckets };
}
