import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { TimeRange } from "../apiParams.js";
import { toNumber, toNumberOrNull } from "../sqlDialect.js";
import { l2TotalsSql } from "./l2BlockSource.js";

export interface Tps {
  readonly blocks: number;
  readonly transactions: number;
  /** Last − first canonical L2 block timestamp in the window. */
  readonly spanSeconds: number | null;
  /** transactions / spanSeconds; null when the span is 0 or empty. */
  readonly tps: number | null;
}

/** L2 throughput in the window, by the sink's own chain-metric definition. */
export async function readTps(db: SqlQueryable, range: TimeRange): Promise<Tps> {
  const [row] = await db.query<{ blocks: unknown; txs: unknown; span: unknown }>(l2TotalsSql(db), [
    range.gte,
    range.lt,
  ]);
  const blocks = toNumber(row?.blocks ?? 0);
  const transactions = toNumber(row?.txs ?? 0);
  const span = blocks === 0 ? null : toNumberOrNull(row?.span);
  return {
    blocks,
    transactions,
    spanSeconds: span,
    tps: span !== null && span > 0 ? transactions / span : null,
  };
}
