import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { TimeRange } from "../apiParams.js";
import { toNumber } from "../sqlDialect.js";
import { l2BlocksOf } from "./l2BlockSource.js";

/** The genesis coinbase: blocks built before any sequencer set one. Not a sequencer. */
export const GENESIS_COINBASE = `0x${"0".repeat(40)}`;

export interface SequencerShare {
  readonly address: string;
  readonly blocks: number;
  /** blocks / blocks of all sequencers listed (0…1). */
  readonly share: number;
}

/** Canonical L2 blocks per sequencer in the window, most first; the genesis coinbase is left out. */
export async function readSequencerDistribution(
  db: SqlQueryable,
  range: TimeRange,
): Promise<readonly SequencerShare[]> {
  const rows = await db.query<{ seq: string; c: unknown }>(
    `SELECT sequencer AS seq, count(*) AS c FROM ${l2BlocksOf(db)} ` +
      "WHERE block_ts >= $1 AND block_ts < $2 AND sequencer <> $3 GROUP BY sequencer ORDER BY c DESC, seq",
    [range.gte, range.lt, GENESIS_COINBASE],
  );
  const total = rows.reduce((s, r) => s + toNumber(r.c), 0);
  return rows.map((r) => ({ address: r.seq, blocks: toNumber(r.c), share: toNumber(r.c) / total }));
}
