import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { BadParameterError } from "../errors.js";
import { type Page, toPage } from "../Page.js";
import { toNumber } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

export interface ForcedInclusion {
  readonly blobHash: string;
  /** Unix seconds of the L1 block that processed it (its first canonical observation). */
  readonly processedAt: number;
  readonly l1BlockNumber: number;
  readonly l1TxHash: string;
  readonly createdAtBatchId: number;
  /** Gwei, as a decimal string. */
  readonly feeInGwei: string;
}

interface Row {
  blob: string;
  first_at: unknown;
  l1: unknown;
  tx: string;
  batch: unknown;
  fee: unknown;
}

/**
 * Forced inclusions processed in the window, newest first; one per event key
 * (the same inclusion seen in two canonical rows is one, as the metric counts it).
 */
export async function listForcedInclusions(db: SqlQueryable, q: ApiQuery): Promise<Page<ForcedInclusion>> {
  const p = createSqlParams();
  const where = [`processed_at >= ${p.add(q.range.gte)}`, `processed_at < ${p.add(q.range.lt)}`];
  if (q.block.gte !== undefined) where.push(`l1_block_number >= ${p.add(q.block.gte)}`);
  if (q.block.lt !== undefined) where.push(`l1_block_number < ${p.add(q.block.lt)}`);
  const outer: string[] = [];
  if (q.cursor !== undefined) {
    const [at, blob] = q.cursor;
    if (typeof at !== "number" || typeof blob !== "string") {
      throw new BadParameterError("cursor", "not a cursor of this list");
    }
    outer.push(`(first_at < ${p.add(at)} OR (first_at = ${p.add(at)} AND blob < ${p.add(blob)}))`);
  }
  const grouped =
    "SELECT min(blob_hash) AS blob, min(processed_at) AS first_at, min(l1_block_number) AS l1, min(l1_tx_hash) AS tx, " +
    "min(created_at_batch_id) AS batch, min(fee_in_gwei) AS fee " +
    `FROM canonical_forced_inclusion_processed WHERE ${where.join(" AND ")} GROUP BY event_key`;
  const rows = await db.query<Row>(
    `SELECT blob, first_at, l1, tx, batch, fee FROM (${grouped}) ${outer.length > 0 ? `WHERE ${outer.join(" AND ")}` : ""} ` +
      `ORDER BY first_at DESC, blob DESC LIMIT ${q.limit + 1}`,
    p.values,
  );
  const items = rows.map(
    (r): ForcedInclusion => ({
      blobHash: r.blob,
      processedAt: toNumber(r.first_at),
      l1BlockNumber: toNumber(r.l1),
      l1TxHash: r.tx,
      createdAtBatchId: toNumber(r.batch),
      feeInGwei: String(r.fee),
    }),
  );
  return toPage(items, q.limit, (f) => [f.processedAt, f.blobHash]);
}
