import type { DurationStats } from "../../queries/chainMetrics.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery, TimeRange } from "../apiParams.js";
import { cursorNumber } from "../cursor.js";
import { type Page, toPage } from "../Page.js";
import { chainMetricQueriesOf, joinUsing, toNumber, toNumberOrNull } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

export interface ProveTime {
  readonly batchId: number;
  /** L1 time of the batch's first canonical proposal (the block it was proposed in). */
  readonly proposedAt: number;
  /** L1 time of the block holding the batch's first canonical proof. */
  readonly provedAt: number;
  readonly seconds: number;
}

// The definition of the sink's proveTime metric: first canonical proof − first canonical proposal.
const PAIRS = (db: SqlQueryable) =>
  joinUsing(
    db,
    "SELECT batch_id, min(proposed_at) AS first_proposed_at FROM canonical_batches GROUP BY batch_id",
    "SELECT batch_id, min(proved_at) AS first_proved_at FROM canonical_proved_batches GROUP BY batch_id",
    "batch_id",
  );

/** Prove time per batch proved in the window (placed by its proof's L1 time), newest batch first. */
export async function listProveTimes(db: SqlQueryable, q: ApiQuery): Promise<Page<ProveTime>> {
  const p = createSqlParams();
  const where = [`first_proved_at >= ${p.add(q.range.gte)}`, `first_proved_at < ${p.add(q.range.lt)}`];
  const after = cursorNumber(q.cursor);
  if (after !== undefined) where.push(`batch_id < ${p.add(after)}`);
  const rows = await db.query<{ batch_id: unknown; first_proposed_at: unknown; first_proved_at: unknown }>(
    `SELECT batch_id, first_proposed_at, first_proved_at FROM ${PAIRS(db)} WHERE ${where.join(" AND ")} ` +
      `ORDER BY batch_id DESC LIMIT ${q.limit + 1}`,
    p.values,
  );
  const items = rows.map((r): ProveTime => {
    const proposedAt = toNumber(r.first_proposed_at);
    const provedAt = toNumber(r.first_proved_at);
    return { batchId: toNumber(r.batch_id), proposedAt, provedAt, seconds: provedAt - proposedAt };
  });
  return toPage(items, q.limit, (t) => [t.batchId]);
}

/** Count, average and percentiles of the prove times in the window: the sink's metric itself. */
export async function readProveTimeStats(db: SqlQueryable, range: TimeRange): Promise<DurationStats> {
  return readStats(db, chainMetricQueriesOf(db).proveTime, range);
}

/** Runs one of the sink's DurationStats queries over a window. */
export async function readStats(db: SqlQueryable, sql: string, range: TimeRange): Promise<DurationStats> {
  const [row] = await db.query<{ samples: unknown; avg: unknown; p50: unknown; p95: unknown }>(sql, [
    range.gte,
    range.lt,
  ]);
  if (row === undefined) return { samples: 0, avg: null, p50: null, p95: null };
  return {
    samples: toNumber(row.samples),
    avg: toNumberOrNull(row.avg),
    p50: toNumberOrNull(row.p50),
    p95: toNumberOrNull(row.p95),
  };
}
