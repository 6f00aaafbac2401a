import { setTimeout as sleep } from "node:timers/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Hex } from "viem";
import type { ChainClient } from "../../lambdas/ingestor/chainReader.js";
import { type IngestorConfig, MAX_RANGE_BLOCKS } from "../../lambdas/ingestor/config.js";
import { createDynamoCursorStore, cursorKey } from "../../lambdas/ingestor/cursorStore.js";
import { createIngestor, type Ingestor } from "../../lambdas/ingestor/ingestor.js";
import type { IngestorLogger, MetricsSink } from "../../lambdas/ingestor/observability.js";
import { DEFAULT_BUNDLE_BYTES } from "../../lambdas/ingestor/publishEntries.js";
import { DEFAULT_PUBLISH_LANES } from "../../lambdas/ingestor/publisher.js";
import { sqsJsonClientLike } from "../../lambdas/shared/awsSqsFromSdk.js";
import { TidemarkError } from "../../lambdas/shared/errors.js";
import type { Chain } from "../../lambdas/shared/events.js";
import { backoffDelay } from "../../lambdas/shared/retry.js";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";

/** Where an operator's re-read of the chain reads and publishes: shared by backfill and repair. */
export interface ChainRereadTarget {
  readonly chain: Chain;
  /** The chain client (createChainClient): its batch path is the one the ingestor uses. */
  readonly client: ChainClient;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly queueUrl: string;
  /** The event queue's DLQ: input the re-read rejects (undecodable logs, …) goes there with its reason. */
  readonly dlqUrl?: string;
  readonly stateTable: string;
  /** Inbox contracts (L1 only; ignored for L2). */
  readonly inboxAddresses: readonly Hex[];
  /** The network preset: the Shasta inbox among the addresses, and the L2 blocks that name their proposal. */
  readonly network?: TaikoNetwork;
  /** Read L2 block fees and L1 proposing / proving costs (readFees.ts), as the deployed ingestor's READ_FEES. @default true */
  readonly readFees?: boolean;
  /** Read the preconfirmation operators per epoch (readPreconf.ts), as its READ_PRECONF. @default true */
  readonly readPreconf?: boolean;
}

export interface BackfillRangeParameters extends ChainRereadTarget {
  /** First block, inclusive. */
  readonly from: number;
  /** Last block, inclusive. */
  readonly to: number;
  /** @default 16 — must match the deployed ingestor's PARTITIONS so groups line up */
  readonly partitions?: number;
  /** Blocks per range (one publish and one cursor write each). @default DEFAULT_BACKFILL_BLOCKS_PER_RANGE */
  readonly blocksPerRange?: number;
  /** SendMessageBatch calls in flight at once (the ingestor's PUBLISH_LANES). @default DEFAULT_PUBLISH_LANES */
  readonly publishLanes?: number;
  /** Lease owner id. @default "backfill:<pid>" */
  readonly owner?: string;
  /** Called after each range with the cursor's next block. */
  readonly onProgress?: (progress: {
    readonly next: number;
    readonly blocks: number;
    readonly inboxEvents: number;
  }) => void;
  /** Consecutive failed polls before giving up. @default 5 */
  readonly maxFailures?: number;
  readonly signal?: AbortSignal;
  readonly logger?: IngestorLogger;
  readonly metrics?: MetricsSink;
}

export interface BackfillRangeReturnType {
  /** The cursor item of this backfill: `cursor#<chain>#backfill-<from>-<to>`. */
  readonly cursorKey: string;
  /** Where this run started (a resumed run starts past `from`). */
  readonly resumedFrom: number;
  readonly blocks: number;
  readonly inboxEvents: number;
  readonly reorgs: number;
  /** True when the whole range is published. */
  readonly complete: boolean;
  /** The cursor's next block. */
  readonly next: number;
}

/** A backfill that cannot go on; `retryable` says whether running the same command again can help. */
export class BackfillError extends TidemarkError {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The widest range the cursor item holds: a backfill has history to cover, not freshness to keep, so
 * it takes the fewest ranges (each one head read, one pending write, one publish, one cursor write).
 */
export const DEFAULT_BACKFILL_BLOCKS_PER_RANGE = MAX_RANGE_BLOCKS;

/** The cursor item a backfill of this range uses; the live ingestor's `cursor#<chain>` is never touched. */
export const backfillCursorKey = (chain: Chain, from: number, to: number): string =>
  `${cursorKey(chain)}#backfill-${from}-${to}`;

const SILENT_LOGGER: IngestorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const NO_METRICS: MetricsSink = { record: () => {} };
/** Between failed polls: the same full-jitter policy as every retry (lambdas/shared/retry.ts). */
const FAILED_POLL_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 8000 };

/**
 * Publish a historical range with the scheduled ingestor's own code: `createIngestor` with `toBlock`,
 * so ingestChain reads up to `to` through the same chain client (batch path included), reorg handling
 * and lane publisher, with the same observation ids and group ids. Safe over ranges already ingested —
 * SQS drops a repeat within 5 minutes and the processor's idempotency table after that — and
 * resumable: its own cursor item (with its own lease, `backfillCursorKey`) records how far it got, and
 * running the same command again continues from there.
 */
export async function backfillRange(p: BackfillRangeParameters): Promise<BackfillRangeReturnType> {
  if (!Number.isSafeInteger(p.from) || !Number.isSafeInteger(p.to) || p.from < 0 || p.to < p.from) {
    throw new BackfillError(
      `the range ${p.from}..${p.to} is not a range of block numbers (from ≤ to, both ≥ 0)`,
    );
  }
  const key = backfillCursorKey(p.chain, p.from, p.to);
  const store = createDynamoCursorStore({
    ddb: p.ddb,
    tableName: p.stateTable,
    leaseSeconds: 60,
    recentHashes: 256,
    key: () => key,
  });
  const before = await store.read(p.chain);
  const resumedFrom = before.next ?? p.from;
  // Publishing over the light SQS path, configured like the given client (awsSqsFromSdk.ts).
  const sqsBatch = await sqsJsonClientLike(p.sqs);
  try {
    return await backfillWith(
      p,
      key,
      resumedFrom,
      createIngestor({
        clients: { [p.chain]: p.client },
        cursorStore: store,
        sqs: p.sqs,
        sqsBatch,
        config: backfillConfig(p),
        metrics: p.metrics ?? NO_METRICS,
        logger: p.logger ?? SILENT_LOGGER,
        owner: p.owner ?? `backfill:${process.pid}`,
        toBlock: { [p.chain]: p.to },
      }),
    );
  } finally {
    sqsBatch.destroy();
  }
}

/** Poll the backfill's ingestor until the range is published, a failure is final, or `signal` aborts. */
async function backfillWith(
  p: BackfillRangeParameters,
  key: string,
  resumedFrom: number,
  ingestor: Ingestor,
): Promise<BackfillRangeReturnType> {
  const totals = { blocks: 0, inboxEvents: 0, reorgs: 0 };
  let next = resumedFrom;
  let failures = 0;
  while (next <= p.to && !p.signal?.aborted) {
    const report = await ingestor.runOnce();
    const chain = report.chains[0];
    if (!chain) throw new BackfillError("the ingestor reported no chain");
    if (chain.status === "lease-held") {
      throw new BackfillError(
        `another backfill of ${p.chain} ${p.from}..${p.to} is running (${chain.error?.message ?? "lease held"}); wait for it or for its lease to expire`,
        { retryable: true },
      );
    }
    if (chain.status === "failed") {
      failures++;
      if (!chain.error?.retryable || failures >= (p.maxFailures ?? 5)) {
        throw new BackfillError(
          `backfill stopped at block ${next}: ${chain.error?.name}: ${chain.error?.message}; run the same command again to resume`,
          { retryable: chain.error?.retryable ?? false },
        );
      }
      await sleep(backoffDelay(failures, FAILED_POLL_BACKOFF));
      continue;
    }
    failures = 0;
    totals.blocks += chain.blocksIngested;
    totals.inboxEvents += chain.inboxEventsPublished;
    totals.reorgs += chain.reorgs;
    const moved = chain.next ?? next;
    if (moved === next && chain.head !== undefined && chain.head < next) {
      throw new BackfillError(
        `the node's head is ${chain.head}, below block ${next}: the range ends in blocks the chain does not have yet`,
      );
    }
    next = moved;
    p.onProgress?.({ next, blocks: totals.blocks, inboxEvents: totals.inboxEvents });
  }
  return { cursorKey: key, resumedFrom, ...totals, complete: next > p.to, next };
}

/** The ingestor's configuration for one backfill: one chain, from `from`, no confirmations (the range is given). */
function backfillConfig(p: BackfillRangeParameters): IngestorConfig {
  return {
    queueUrl: p.queueUrl,
    dlqUrl: p.dlqUrl,
    stateTable: p.stateTable,
    rpc: { kind: "urls", urls: { l1: [], l2: [] } },
    ...(p.network ? { network: p.network } : {}),
    inboxAddress: p.network ? undefined : p.inboxAddresses[0],
    inboxWrapperAddress: p.network ? undefined : p.inboxAddresses[1],
    startBlock: { l1: p.from, l2: p.from },
    partitions: p.partitions ?? 16,
    publishLanes: p.publishLanes ?? DEFAULT_PUBLISH_LANES,
    publishBundleBytes: DEFAULT_BUNDLE_BYTES,
    maxBlocksPerRange: p.blocksPerRange ?? DEFAULT_BACKFILL_BLOCKS_PER_RANGE,
    pollIntervalMs: 0,
    timeReserveMs: 0,
    leaseSeconds: 60,
    recentHashes: 256,
    // Unused: a backfill's own cursor has no published-hash record (ingestor.ts).
    maxReorgDepth: 0,
    confirmations: 0,
    chains: [p.chain],
    // The same fee reads as the live ingestor: a backfilled range has its fees and L1 costs too.
    readFees: p.readFees ?? true,
    readPreconf: p.readPreconf ?? true,
  };
}
