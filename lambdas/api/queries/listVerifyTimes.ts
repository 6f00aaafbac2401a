import type { DurationStats } from "../../queries/chainMetrics.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery, TimeRange } from "../apiParams.js";
import { cursorNumber } from "../cursor.js";
import { durationStats } from "../durationStats.js";
import { type Page, toPage } from "../Page.js";
import { joinUsing, toNumber } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

export interface VerifyTime {
  /** The batch id BatchesVerified names (it verifies every batch up to it). */
  readonly batchId: number;
  /** The L2 block hash it names, which ties it to the BatchesProved with the same transition block hash. */
  readonly blockHash: string;
  /** L1 time of that proof's block. */
  readonly provedAt: number;
  /** L1 time of the BatchesVerified block. */
  readonly verifiedAt: number;
  readonly seconds: number;
}

/**
 * Pacaya verify time (issue 12's definition, the self-hosted design's): L1 time
 * of the BatchesVerified block − L1 time of the BatchesProved block whose
 * transition block hash it names. First canonical observation of each.
 */
const PAIRS = (db: SqlQueryable) =>
  joinUsing(
    db,
    "SELECT batch_id, block_hash, min(verified_at) AS first_verified_at FROM canonical_verified_batches GROUP BY batch_id, block_hash",
    "SELECT block_hash, min(proved_at) AS first_proved_at FROM canonical_proved_batches GROUP BY block_hash",
    "block_hash",
  );

interface Row {
  batch_id: unknown;
  block_hash: string;
  first_proved_at: unknown;
  first_verified_at: unknown;
}

/** Verify time per BatchesVerified in the window (placed by its L1 time), newest batch first. */
export async function listVerifyTimes(db: SqlQueryable, q: ApiQuery): Promise<Page<VerifyTime>> {
  const p = createSqlParams();
  const where = [`first_verified_at >= ${p.add(q.range.gte)}`, `first_verified_at < ${p.add(q.range.lt)}`];
  const after = cursorNumber(q.cursor);
  if (after !== undefined) where.push(`batch_id < ${p.add(after)}`);
  const rows = await db.query<Row>(
    `SELECT batch_id, block_hash, first_proved_at, first_verified_at FROM ${PAIRS(db)} ` +
      `WHERE ${where.join(" AND ")} ORDER BY batch_id DESC, block_hash LIMIT ${q.limit + 1}`,
    p.values,
  );
  return toPage(rows.map(toVerifyTime), q.limit, (t) => [t.batchId]);
}

/** Count, average and percentiles of every verify time in the window. */
export async function readVerifyTimeStats(db: SqlQueryable, range: TimeRange): Promise<DurationStats> {
  const rows = await db.query<Row>(
    `SELECT batch_id, block_hash, first_proved_at, first_verified_at FROM ${PAIRS(db)} ` +
      "WHERE first_verified_at >= $1 AND first_verified_at < $2",
    [range.gte, range.lt],
  );
  return durationStats(rows.map((r) => toVerifyTime(r).seconds));
}

function toVerifyTime(r: Row): VerifyTime {
  const provedAt = toNumber(r.first_proved_at);
  const verifiedAt = toNumber(r.first_verified_at);
  return {
    batchId: toNumber(r.batch_id),
    blockHash: r.block_hash,
    provedAt,
    verifiedAt,
    seconds: verifiedAt - provedAt,
  };
}
