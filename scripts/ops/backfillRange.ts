import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type Client, createClient, custom, type Hex, numberToHex } from "viem";
import type { ChainClient } from "../../lambdas/ingestor/chainReader.js";
import type { IngestorConfig } from "../../lambdas/ingestor/config.js";
import { createDynamoCursorStore, cursorKey } from "../../lambdas/ingestor/cursorStore.js";
import { createIngestor } from "../../lambdas/ingestor/ingestor.js";
import type { IngestorLogger, MetricsSink } from "../../lambdas/ingestor/observability.js";
import type { Chain } from "../../lambdas/shared/events.js";

export interface BackfillRangeParameters {
  readonly chain: Chain;
  /** First block, inclusive. */
  readonly from: number;
  /** Last block, inclusive. */
  readonly to: number;
  readonly client: ChainClient;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly queueUrl: string;
  readonly stateTable: string;
  /** Inbox contracts (L1 only; ignored for L2). */
  readonly inboxAddresses: readonly Hex[];
  /** @default 16 — must match the deployed ingestor's PARTITIONS so groups line up */
  readonly partitions?: number;
  /** Blocks per range (one publish and one cursor write each). @default 200 */
  readonly blocksPerRange?: number;
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

export class BackfillError extends Error {
  override readonly name = "BackfillError";
}

/** The cursor item a backfill of this range uses; the live ingestor's `cursor#<chain>` is never touched. */
export const backfillCursorKey = (chain: Chain, from: number, to: number): string =>
  `${cursorKey(chain)}#backfill-${from}-${to}`;

const SILENT_LOGGER: IngestorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const NO_METRICS: MetricsSink = { record: () => {} };

/**
 * Publish a historical range through the ingestor's own code (createIngestor → ingestChain → publisher):
 * the same events, the same observation ids, the same group ids as the live ingestor. So it is safe over
 * ranges already ingested — SQS drops a repeat within 5 minutes and the processor's idempotency table
 * after that — and resumable: its own cursor item (with its own lease) records how far it got, and
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
  const config: IngestorConfig = {
    queueUrl: p.queueUrl,
    stateTable: p.stateTable,
    rpc: { kind: "urls", urls: { l1: [], l2: [] } },
    inboxAddress: p.inboxAddresses[0],
    inboxWrapperAddress: p.inboxAddresses[1],
    startBlock: { l1: p.from, l2: p.from },
    partitions: p.partitions ?? 16,
    maxBlocksPerRange: p.blocksPerRange ?? 200,
    pollIntervalMs: 0,
    timeReserveMs: 0,
    leaseSeconds: 60,
    recentHashes: 256,
    // The range's end is the "head": the capped client below stops the ingestor there.
    confirmations: 0,
    chains: [p.chain],
  };
  const before = await store.read(p.chain);
  const resumedFrom = before.next ?? p.from;
  const ingestor = createIngestor({
    clients: { [p.chain]: cappedHeadClient(p.client, p.to) },
    cursorStore: store,
    sqs: p.sqs,
    config,
    metrics: p.metrics ?? NO_METRICS,
    logger: p.logger ?? SILENT_LOGGER,
    owner: p.owner ?? `backfill:${process.pid}`,
  });

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
      );
    }
    if (chain.status === "failed") {
      failures++;
      if (!chain.error?.retryable || failures >= (p.maxFailures ?? 5)) {
        throw new BackfillError(
          `backfill stopped at block ${next}: ${chain.error?.name}: ${chain.error?.message}; run the same command again to resume`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** failures));
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

/**
 * The chain as if its head were `to`: "latest" is answered with block `to` once the node has it. The
 * ingestor then reads up to `to` and reports itself caught up, which is how the range ends.
 */
export function cappedHeadClient(client: ChainClient, to: number): ChainClient {
  return createClient({
    transport: custom({
      async request({ method, params }) {
        const args = params as unknown[] | undefined;
        if (method === "eth_getBlockByNumber" && args?.[0] === "latest") {
          const capped = await client.request({
            method: "eth_getBlockByNumber",
            params: [numberToHex(to), false],
          });
          if (capped) return capped;
        }
        return client.request({ method, params } as Parameters<Client["request"]>[0]);
      },
    }),
  }) as ChainClient;
}
