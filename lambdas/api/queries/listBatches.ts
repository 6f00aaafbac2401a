import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { cursorNumber } from "../cursor.js";
import { type Page, toPage } from "../Page.js";
import { placeholders, toNumber } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

export interface Batch {
  readonly batchId: number;
  /** Unix seconds of the L1 block of its first canonical proposal. */
  readonly proposedAt: number;
  readonly l1BlockNumber: number;
  readonly proposer: string;
  readonly blobCount: number;
  /** L2 blocks in the batch: lastL2BlockNumber − blockCount + 1 … lastL2BlockNumber. */
  readonly blockCount: number;
  readonly lastL2BlockNumber: number;
  /** proposedAt − batch k−1's; null when k−1 is not recorded (posting cadence). */
  readonly secondsSincePrevious: number | null;
}

interface Row {
  id: unknown;
  at: unknown;
  l1: unknown;
  who: string;
  blobs: unknown;
  size: unknown;
  last: unknown;
}

const FIRST_PROPOSAL =
  "SELECT batch_id AS id, min(proposed_at) AS at, min(l1_block_number) AS l1, min(proposer_addr) AS who, " +
  "max(blob_count) AS blobs, max(batch_size) AS size, max(last_l2_block_number) AS last FROM canonical_batches";

/**
 * Proposed batches in the window, newest first, each once (a batch re-proposed
 * after an L1 reorg is placed by its first canonical proposal, as the cadence
 * metric does). `block[…]` filters on the L1 block, `address` on the proposer.
 */
export async function listBatches(db: SqlQueryable, q: ApiQuery): Promise<Page<Batch>> {
  const p = createSqlParams();
  const where = [`proposed_at >= ${p.add(q.range.gte)}`, `proposed_at < ${p.add(q.range.lt)}`];
  if (q.block.gte !== undefined) where.push(`l1_block_number >= ${p.add(q.block.gte)}`);
  if (q.block.lt !== undefined) where.push(`l1_block_number < ${p.add(q.block.lt)}`);
  if (q.address !== undefined) where.push(`proposer_addr = ${p.add(q.address)}`);
  const after = cursorNumber(q.cursor);
  if (after !== undefined) where.push(`batch_id < ${p.add(after)}`);
  const rows = await db.query<Row>(
    `${FIRST_PROPOSAL} WHERE ${where.join(" AND ")} GROUP BY batch_id ORDER BY id DESC LIMIT ${q.limit + 1}`,
    p.values,
  );
  const at = new Map(rows.map((r) => [toNumber(r.id), toNumber(r.at)]));
  const missing = rows.map((r) => toNumber(r.id) - 1).filter((id) => id >= 0 && !at.has(id));
  if (missing.length > 0) {
    const prev = await db.query<Row>(
      `${FIRST_PROPOSAL} WHERE batch_id IN (${placeholders(missing.length, 1)}) GROUP BY batch_id`,
      missing,
    );
    for (const r of prev) at.set(toNumber(r.id), toNumber(r.at));
  }
  const items = rows.map((r): Batch => {
    const id = toNumber(r.id);
    const proposedAt = toNumber(r.at);
    const before = at.get(id - 1);
    return {
      batchId: id,
      proposedAt,
      l1BlockNumber: toNumber(r.l1),
      proposer: r.who,
      blobCount: toNumber(r.blobs),
      blockCount: toNumber(r.size),
      lastL2BlockNumber: toNumber(r.last),
      secondsSincePrevious: before === undefined ? null : proposedAt - before,
    };
  });
  return toPage(items, q.limit, (b) => [b.batchId]);
}
