import { setTimeout as sleep } from "node:timers/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Hex } from "viem";
import { type ChainClient, getHeadersByNumber, providersOf } from "../../lambdas/ingestor/chainReader.js";
import { MAX_RANGE_BLOCKS } from "../../lambdas/ingestor/config.js";
import {
  type Cursor,
  createDynamoCursorStore,
  type RecentBlock,
} from "../../lambdas/ingestor/cursorStore.js";
import { ingestChain } from "../../lambdas/ingestor/ingestChain.js";
import type { IngestorLogger, MetricsSink } from "../../lambdas/ingestor/observability.js";
import { publishEvents } from "../../lambdas/ingestor/publisher.js";
import { uniqueBlocks } from "../../lambdas/ingestor/readRange.js";
import { createDeadLetterRejectSink } from "../../lambdas/ingestor/rejections.js";
import { LeaseHeldError, TidemarkError } from "../../lambdas/shared/errors.js";
import type { Chain } from "../../lambdas/shared/events.js";
import { backoffDelay } from "../../lambdas/shared/retry.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";

export interface RepairRangeParameters {
  readonly chain: Chain;
  /** First block to re-read: at or below the fork point. */
  readonly from: number;
  /** Last block to re-read. @default the live cursor's last published block */
  readonly to?: number;
  readonly client: ChainClient;
  /** The sink as SQL (DuckDB, ClickHouse, Athena): which block hashes were ever published in the range. */
  readonly sink: SqlQueryable;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly queueUrl: string;
  readonly dlqUrl?: string;
  readonly stateTable: string;
  readonly inboxAddresses: readonly Hex[];
  /** The deployed ingestor's PARTITIONS, so groups line up. @default 16 */
  readonly partitions?: number;
  /** Blocks re-read per poll. @default 500 */
  readonly blocksPerRange?: number;
  /** The deployed ingestor's RECENT_HASHES. @default 256 */
  readonly recentHashes?: number;
  /** Lease owner id. @default "repair:<pid>" */
  readonly owner?: string;
  readonly logger?: IngestorLogger;
  readonly metrics?: MetricsSink;
  readonly now?: () => number;
  /** How long to wait for the scheduled ingestor to release the chain's lease. @default 75 s */
  readonly leaseWaitMs?: number;
}

export interface RepairRangeReturnType {
  readonly from: number;
  readonly to: number;
  /** Block hashes the sink held in the range that the chain no longer holds: orphaned now. */
  readonly orphaned: number;
  /** Canonical blocks re-read and published (restored where an earlier reorg hid them). */
  readonly blocks: number;
  readonly inboxEvents: number;
  /** The live cursor's next block afterwards: the scheduled ingestor goes on from there. */
  readonly next: number;
}

/** A repair that cannot start or go on; the message says what to do. */
export class RepairError extends TidemarkError {
  readonly retryable = false;
}

const SILENT_LOGGER: IngestorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const NO_METRICS: MetricsSink = { record: () => {} };

/**
 * Repair a reorg the ingestor could not walk back (deeper than its remembered hashes), or any range the
 * sink disagrees with the chain about: the live cursor moves back to `from` with every block hash the
 * sink holds in the range recorded as pending, then the ingestor's own poll (ingestChain) re-reads the
 * range. Pending hashes the chain no longer holds are orphaned, and every re-read block at or below the
 * cursor's high-water mark is restored, under the chain's next reorg seq. The scheduled ingestor then
 * resumes from `to + 1`.
 */
export async function repairRange(p: RepairRangeParameters): Promise<RepairRangeReturnType> {
  const owner = p.owner ?? `repair:${process.pid}`;
  const now = p.now ?? Date.now;
  const blocksPerRange = Math.min(p.blocksPerRange ?? 500, MAX_RANGE_BLOCKS);
  const store = createDynamoCursorStore({
    ddb: p.ddb,
    tableName: p.stateTable,
    leaseSeconds: 60,
    recentHashes: p.recentHashes ?? 256,
  });
  let cursor = await takeLease(store, p.chain, owner, now, p.leaseWaitMs ?? 75_000);
  const to = p.to ?? (cursor.next ?? 0) - 1;
  if (!Number.isSafeInteger(p.from) || p.from < 1 || to < p.from) {
    throw new RepairError(`--from ${p.from} --to ${to} is not a range of published blocks (1 ≤ from ≤ to)`);
  }
  try {
    const below = await sharedBlockBelow(p, p.from - 1);
    const published = await publishedBlocks(p.sink, p.chain, p.from, to);
    const highWater = Math.max(cursor.highWater ?? (cursor.next ?? 0) - 1, to);
    // Back to `from`: the window is the one block below, which both the chain and the sink agree on.
    cursor = await store.advance(
      p.chain,
      owner,
      { expectedNext: cursor.next, next: p.from, recent: [below], pending: [], highWater },
      now(),
    );
    const totals = { blocks: 0, inboxEvents: 0, orphaned: 0 };
    while ((cursor.next ?? p.from) <= to) {
      const start = cursor.next ?? p.from;
      const end = Math.min(to, start + blocksPerRange - 1);
      const share = published.filter((b) => b.number >= start && b.number <= end);
      cursor = await store.markPending(
        p.chain,
        owner,
        { expectedNext: cursor.next, pending: uniqueBlocks([...(cursor.pending ?? []), ...share]) },
        now(),
      );
      const result = await repairPoll(p, { store, owner, cursor, end, blocksPerRange, now });
      totals.blocks += result.blocks;
      totals.inboxEvents += result.inboxEvents;
      totals.orphaned += result.orphaned;
      cursor = result.cursor;
      if (result.blocks === 0 && result.orphaned === 0 && (cursor.next ?? 0) === start) {
        throw new RepairError(
          `${p.chain} block ${start} could not be read from any provider; run the repair again`,
        );
      }
    }
    return { from: p.from, to, ...totals, next: cursor.next ?? p.from };
  } finally {
    await store.release(p.chain, owner);
  }
}

/** The live cursor's lease: the scheduled ingestor holds it for one run, then releases it. */
async function takeLease(
  store: ReturnType<typeof createDynamoCursorStore>,
  chain: Chain,
  owner: string,
  now: () => number,
  waitMs: number,
): Promise<Cursor> {
  const deadline = now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.acquireLease(chain, owner, now());
    } catch (error) {
      if (!(error instanceof LeaseHeldError) || now() > deadline) throw error;
      await sleep(backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 4_000 }));
    }
  }
}

/** One poll of the ingestor's own code over the repaired range. */
async function repairPoll(
  p: RepairRangeParameters,
  c: {
    store: ReturnType<typeof createDynamoCursorStore>;
    owner: string;
    cursor: Cursor;
    end: number;
    blocksPerRange: number;
    now: () => number;
  },
) {
  const result = await ingestChain({
    chain: p.chain,
    client: p.client,
    store: c.store,
    owner: c.owner,
    cursor: c.cursor,
    settings: {
      startBlock: p.from,
      maxBlocksPerRange: c.blocksPerRange,
      confirmations: 0,
      inboxAddresses: p.chain === "l1" ? p.inboxAddresses : [],
      toBlock: c.end,
    },
    publish: async (events) => {
      await publishEvents(p.sqs, p.queueUrl, events, p.partitions ?? 16);
    },
    metrics: p.metrics ?? NO_METRICS,
    logger: p.logger ?? SILENT_LOGGER,
    now: c.now,
    ...(p.dlqUrl ? { reject: createDeadLetterRejectSink(p.sqs, p.dlqUrl, c.now) } : {}),
  });
  const orphaned = result.reorg ? result.reorg.depth : 0;
  return { ...result, orphaned };
}

/**
 * The block below the range as the chain has it, which the sink must hold too: a fork that reaches
 * below `from` would leave old blocks canonical, so the repair refuses to start there.
 */
async function sharedBlockBelow(p: RepairRangeParameters, number: number): Promise<RecentBlock> {
  const [provider] = providersOf(p.client);
  const [header] = await getHeadersByNumber(provider as ChainClient, { numbers: [number] });
  if (!header) throw new RepairError(`${p.chain} block ${number} is not on the first provider; try again`);
  const held = await publishedBlocks(p.sink, p.chain, number, number);
  if (held.length > 0 && !held.some((b) => b.hash === header.hash)) {
    throw new RepairError(
      `the sink's ${p.chain} block ${number} is ${held.map((b) => b.hash).join(", ")} but the chain's is ${header.hash}: the fork reaches below --from ${p.from}; start lower`,
    );
  }
  return { number, hash: header.hash };
}

/** Every block hash the sink holds in the range, canonical or not (a raw table, not a view). */
async function publishedBlocks(
  sink: SqlQueryable,
  chain: Chain,
  from: number,
  to: number,
): Promise<RecentBlock[]> {
  const column = `${chain}_block_number`;
  const rows = await sink.query<{ n: number | bigint; h: string }>(
    `SELECT DISTINCT CAST(${column} AS BIGINT) AS n, block_hash AS h FROM ${chain}_head_events WHERE ${column} BETWEEN ${from} AND ${to} ORDER BY n`,
  );
  return rows.map((r) => ({ number: Number(r.n), hash: r.h.toLowerCase() as Hex }));
}
