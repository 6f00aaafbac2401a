import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { encodeCursor } from "../cursor.js";
import type { Page } from "../Page.js";
import { toNumber } from "../sqlDialect.js";
import { type Batch, listBatches } from "./listBatches.js";
import { GENESIS_COINBASE } from "./readSequencerDistribution.js";

export interface FailedProposal {
  readonly batchId: number;
  readonly proposedAt: number;
  readonly proposer: string;
  /** The canonical L2 blocks of the batch built by someone other than its proposer. */
  readonly blocks: readonly { readonly blockNumber: number; readonly sequencer: string }[];
}

const SCAN = 500;

/**
 * Batches proposed by someone other than the sequencer of one of their
 * canonical L2 blocks (blocks with the genesis coinbase and blocks not yet
 * recorded are not counted), newest first.
 */
export async function listFailedProposals(db: SqlQueryable, q: ApiQuery): Promise<Page<FailedProposal>> {
  const found: FailedProposal[] = [];
  let cursor = q.cursor;
  // Scan batches newest first until a page of failures (plus one, to know if there is more) is found.
  for (;;) {
    const page = await listBatches(db, { ...q, address: undefined, limit: SCAN, cursor });
    found.push(...(await failuresOf(db, page.items, q.address)));
    const last = page.items[page.items.length - 1];
    if (found.length > q.limit || page.nextCursor === null || last === undefined) break;
    cursor = [last.batchId];
  }
  const items = found.slice(0, q.limit);
  const lastItem = items[items.length - 1];
  return {
    items,
    nextCursor: found.length > q.limit && lastItem !== undefined ? encodeCursor([lastItem.batchId]) : null,
  };
}

async function failuresOf(
  db: SqlQueryable,
  batches: readonly Batch[],
  proposer: string | undefined,
): Promise<FailedProposal[]> {
  const relevant = batches.filter(
    (b) => b.blockCount > 0 && (proposer === undefined || b.proposer === proposer),
  );
  if (relevant.length === 0) return [];
  const low = Math.min(...relevant.map((b) => b.lastL2BlockNumber - b.blockCount + 1));
  const high = Math.max(...relevant.map((b) => b.lastL2BlockNumber));
  const rows = await db.query<{ n: unknown; seq: string }>(
    "SELECT l2_block_number AS n, sequencer AS seq FROM canonical_l2_head_events " +
      "WHERE l2_block_number >= $1 AND l2_block_number <= $2",
    [low, high],
  );
  const sequencerOf = new Map(rows.map((r) => [toNumber(r.n), r.seq]));
  const out: FailedProposal[] = [];
  for (const b of relevant) {
    const blocks: { blockNumber: number; sequencer: string }[] = [];
    for (let n = b.lastL2BlockNumber - b.blockCount + 1; n <= b.lastL2BlockNumber; n++) {
      const seq = sequencerOf.get(n);
      if (seq !== undefined && seq !== GENESIS_COINBASE && seq !== b.proposer)
        blocks.push({ blockNumber: n, sequencer: seq });
    }
    if (blocks.length > 0)
      out.push({ batchId: b.batchId, proposedAt: b.proposedAt, proposer: b.proposer, blocks });
  }
  return out;
}
