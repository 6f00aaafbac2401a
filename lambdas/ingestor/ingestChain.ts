import type { Hex } from "viem";
import { ProviderBehindError, ReorgTooDeepError, RpcError } from "../shared/errors.js";
import {
  type Chain,
  type HeaderEvent,
  type PipelineEvent,
  PipelineEventSchema,
  type ReorgEvent,
  SCHEMA_VERSION,
} from "../shared/events.js";
import { type FaultInjector, FaultPoint } from "../shared/faultPoints.js";
import { IngestorMetric } from "../shared/metricNames.js";
import { withRetry } from "../shared/retry.js";
import type { TaikoNetwork } from "../shared/taiko/networks.js";
import { type BlockHeader, type ChainClient, providersOf } from "./chainReader.js";
import type { Cursor, CursorStore, RecentBlock } from "./cursorStore.js";
import { decodeForkLogs, forkEventTopics, readProposalLinks } from "./logSources.js";
import type { IngestorLogger, MetricsSink } from "./observability.js";
import type { PublishedHashes } from "./publishedHashes.js";
import { type ReadAhead, type ReadBase, startReadAhead, takeReadAhead } from "./readAhead.js";
import { readFeeEvents } from "./readFees.js";
import { readPreconfEvents } from "./readPreconf.js";
import { type RangeRead, readRange, uniqueBlocks } from "./readRange.js";
import { MAX_DATA_CHARS, type Rejection, type RejectSink } from "./rejections.js";
import { buildReorgEvents } from "./reorgEvents.js";

export interface IngestChainSettings {
  readonly startBlock: number;
  readonly maxBlocksPerRange: number;
  readonly confirmations: number;
  /** Contracts whose inbox events are read (L1 only); empty for a chain without them. */
  readonly inboxAddresses: readonly Hex[];
  /** The network preset: which contract's logs are Shasta, and when L2 blocks name their proposal (logSources.ts). */
  readonly network?: TaikoNetwork;
  /** Read L2 block fees and proposing / proving transactions' L1 costs (readFees.ts). Absent: off. */
  readonly readFees?: boolean;
  /** Read the preconfirmation operators per epoch from the PreconfWhitelist (readPreconf.ts). Absent: off. */
  readonly readPreconf?: boolean;
  /**
   * Last block to read, inclusive: a backfill's end. Absent, the chain is followed to its head (minus
   * confirmations). Everything else — cursor, reorg handling, publishing — is the same either way.
   */
  readonly toBlock?: number;
}

export interface IngestChainParameters {
  readonly chain: Chain;
  readonly client: ChainClient;
  readonly store: CursorStore;
  readonly owner: string;
  /** The cursor as last read or written under our lease. */
  readonly cursor: Cursor;
  readonly settings: IngestChainSettings;
  readonly publish: (events: readonly PipelineEvent[]) => Promise<void>;
  readonly metrics: MetricsSink;
  readonly logger: IngestorLogger;
  readonly now: () => number;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
  /** Where rejected input goes (the DLQ); absent, it is logged at error level and counted only. */
  readonly reject?: RejectSink;
  /**
   * Read the next range while this one publishes (the result's `readAhead`, to pass to the next call).
   * Off for a one-off run such as a repair, whose next range nobody takes.
   */
  readonly readNextWhilePublishing?: boolean;
  /** The previous call's `readAhead`: used only if it is exactly the read this call would make. */
  readonly readAhead?: ReadAhead;
  /**
   * The live cursor's record of published hashes: a reorg deeper than the window is walked back over it
   * (up to its `maxReorgDepth`). Absent (a backfill's own cursor), such a reorg stops the chain.
   */
  readonly published?: PublishedHashes;
}

export interface IngestChainReturnType {
  /** The cursor after this poll (unchanged when nothing was published). */
  readonly cursor: Cursor;
  /** Chain head minus confirmations. */
  readonly head: number;
  /** The last block this poll could read: the head, or `toBlock` when that is lower. */
  readonly end: number;
  readonly blocks: number;
  readonly inboxEvents: number;
  /** The reorg this poll published (its first part when split), or a restore of re-read blocks. */
  readonly reorg: ReorgEvent | undefined;
  /** Nothing left to read up to `end`: the caller may sleep (or, for a backfill, stop). */
  readonly caughtUp: boolean;
  /** The next range's read, started while this one published (with `readNextWhilePublishing`). */
  readonly readAhead: ReadAhead | undefined;
}

/**
 * One poll of one chain: read the next range of headers (and inbox logs) from one provider, detect a
 * reorg by parent-hash linkage, publish, then advance the cursor. The scheduled ingestor, `tidemark
 * backfill` (with `settings.toBlock`) and `tidemark repair` all run this.
 */
export async function ingestChain(parameters: IngestChainParameters): Promise<IngestChainReturnType> {
  const { chain, cursor, settings, metrics, logger } = parameters;
  const read =
    (await takeReadAhead(parameters.readAhead, cursor, { chain, logger })) ??
    (await readFromProviders(parameters, baseOf(cursor, settings)));
  if (!read) {
    // Every provider is behind what we published: nothing to do until one catches up.
    const at = (cursor.next ?? settings.startBlock) - 1;
    const none = { blocks: 0, inboxEvents: 0, reorg: undefined, caughtUp: true, readAhead: undefined };
    return { cursor, head: at, end: at, ...none };
  }
  const { headers, head, end } = read;
  const after = cursorAfter(cursor, read);
  // Only a read: it is checked against the cursor this range writes before any of it is used.
  const readAhead =
    parameters.readNextWhilePublishing && after.next <= end
      ? startReadAhead(after, (base) => readFromProviders(parameters, base))
      : undefined;
  metrics.record(IngestorMetric.ChainHead, read.latest.number, chain);
  if (read.logsRefetched > 0) metrics.record(IngestorMetric.LogsRefetchedByHash, read.logsRefetched, chain);
  const inbox = decodeInbox(chain, read, settings.network);
  const rejections = [...read.rejections, ...inbox.rejections];
  const rejectedHeaders = new Set(
    rejections.filter((r) => r.kind === "invalid_header").map((r) => r.blockNumber),
  );
  const headerEvents = headers
    .filter((h) => !rejectedHeaders.has(h.number))
    .map((h) => toHeaderEvent(chain, h));
  const seq = (cursor.reorgSeq ?? 0) + 1;
  const reorgEvents = toReorgEvents(parameters, read, seq);
  // Shasta L2 blocks name their proposal in extraData (logSources.ts): one link event each.
  const links = await readProposalLinks(parameters, headers);
  // Fees of L2 blocks, costs of L1 proposing / proving transactions, from receipts (readFees.ts).
  const fees = await readFeeEvents(parameters, headers, inbox.events);
  // The preconfirmation operators of each epoch, read from the L1 PreconfWhitelist (readPreconf.ts).
  const preconf = await readPreconfEvents(parameters, headers);
  const events: PipelineEvent[] = [
    ...reorgEvents,
    ...headerEvents,
    ...inbox.events,
    ...links,
    ...fees,
    ...preconf,
  ];
  if (read.ancestor) {
    logger.warn("reorg detected", {
      chain,
      depth: read.orphaned.length,
      commonAncestor: read.ancestor,
      newHead: { number: read.latest.number, hash: read.latest.hash },
    });
  }

  parameters.faults?.hit(FaultPoint.IngestorAfterFetch, { chain });
  if (events.length === 0 && rejections.length === 0) {
    metrics.record(IngestorMetric.IngestLagBlocks, Math.max(0, head - (read.base.next - 1)), chain);
    return { cursor, head, end, blocks: 0, inboxEvents: 0, reorg: undefined, caughtUp: true, readAhead };
  }
  await rejectAll(parameters, rejections);

  // Invariant: every block is recorded as pending before it is published past the cursor, so a reorg
  // of it is caught even when this attempt dies (or loses its lease) before advancing. The same write
  // reserves the reorg's seq: a retried attempt never reuses one.
  await parameters.store.markPending(
    chain,
    parameters.owner,
    {
      expectedNext: cursor.next,
      pending: uniqueBlocks([...(cursor.pending ?? []), ...headers.map(blockRef)]),
      ...(reorgEvents.length > 0 ? { reorgSeq: seq } : {}),
    },
    parameters.now(),
  );
  await parameters.publish(events);
  parameters.faults?.hit(FaultPoint.IngestorAfterPublish, { chain });
  // Before the cursor moves past them: what is published here is what a deeper reorg walks back over.
  const first = headers[0];
  if (first) {
    const fence = { owner: parameters.owner, expectedNext: cursor.next };
    await parameters.published?.record(chain, after.recent, first.number, fence);
  }
  // Invariant: the cursor moves only after the range is published. A crash in between
  // republishes the range next time, and the deduplication ids make that harmless.
  const { next } = after;
  const advanced = await parameters.store.advance(
    chain,
    parameters.owner,
    { expectedNext: cursor.next, ...after, highWater: cursor.highWater },
    parameters.now(),
  );

  metrics.record(IngestorMetric.BlocksIngested, headerEvents.length, chain);
  metrics.record(IngestorMetric.MessagesPublished, events.length, chain);
  if (inbox.events.length > 0)
    metrics.record(IngestorMetric.InboxEventsPublished, inbox.events.length, chain);
  if (read.ancestor) {
    metrics.record(IngestorMetric.ReorgsDetected, 1, chain);
    metrics.record(IngestorMetric.ReorgDepth, read.orphaned.length, chain);
  }
  metrics.record(IngestorMetric.IngestLagBlocks, Math.max(0, head - (next - 1)), chain);
  logger.info("range published", {
    chain,
    fromBlock: headers[0]?.number,
    toBlock: headers.at(-1)?.number,
    blocks: headers.length,
    inboxEvents: inbox.events.length,
    reorg: read.ancestor !== undefined,
    head,
  });
  return {
    cursor: advanced,
    head,
    end,
    blocks: headerEvents.length,
    inboxEvents: inbox.events.length,
    reorg: reorgEvents[0],
    caughtUp: next > end,
    readAhead,
  };
}

/** Where a poll reads from: the cursor's next block, its window and its pending blocks. */
const baseOf = (cursor: Cursor, settings: IngestChainSettings): ReadBase => ({
  next: cursor.next ?? settings.startBlock,
  recent: cursor.recent,
  pending: cursor.pending ?? [],
});

/** The cursor once this read is published: its range covered, its orphans dropped from pending. */
function cursorAfter(cursor: Cursor, read: RangeRead): ReadBase {
  const next = read.headers.length > 0 ? read.to + 1 : read.base.next;
  const orphanedHashes = new Set(read.orphaned.map((b) => b.hash));
  return {
    next,
    recent: [...read.base.recent, ...read.headers.map(blockRef)],
    // Published by a wider attempt and not yet covered by the cursor: still to be checked.
    pending: (cursor.pending ?? []).filter((b) => b.number >= next && !orphanedHashes.has(b.hash)),
  };
}

/**
 * The poll's read, from the first provider that can serve it. A provider that is behind (or answers an
 * impossible timestamp) hands over to the next; when every one is behind, there is nothing to do yet
 * (undefined). Only when every provider gave an impossible timestamp is the block contained instead.
 */
async function readFromProviders(
  parameters: IngestChainParameters,
  base: ReadBase,
): Promise<RangeRead | undefined> {
  const { chain, client, settings, metrics, logger, published } = parameters;
  const read = (provider: ChainClient, containBadTimestamps: boolean) =>
    readRange(provider, {
      chain,
      base: { next: base.next, recent: base.recent },
      pending: base.pending,
      maxBlocksPerRange: settings.maxBlocksPerRange,
      confirmations: settings.confirmations,
      toBlock: settings.toBlock,
      inboxAddresses: settings.inboxAddresses,
      eventTopics: forkEventTopics(settings.network),
      containBadTimestamps,
      onSplit: () => metrics.record(IngestorMetric.LogRangeSplits, 1, chain),
      ...(published
        ? {
            published: {
              maxReorgDepth: published.maxReorgDepth,
              read: (from, to) => published.read(chain, from, to),
            },
          }
        : {}),
    });
  const round = async (): Promise<RangeRead | undefined> => {
    const failures: unknown[] = [];
    for (const [index, provider] of providersOf(client).entries()) {
      try {
        return await read(provider, false);
      } catch (error) {
        if (
          !(
            error instanceof ProviderBehindError ||
            error instanceof RpcError ||
            error instanceof ReorgTooDeepError
          )
        )
          throw error;
        failures.push(error);
        if (error instanceof ProviderBehindError) metrics.record(IngestorMetric.ProviderBehind, 1, chain);
        logger.warn("provider could not serve the range; trying the next", {
          chain,
          provider: index,
          reason: (error as Error).message,
        });
      }
    }
    if (failures.some(isBadTimestamp) && failures.every((e) => e instanceof ProviderBehindError)) {
      const first = providersOf(client)[failures.findIndex(isBadTimestamp)] as ChainClient;
      return read(first, true);
    }
    if (failures.every((e) => e instanceof ProviderBehindError)) return undefined;
    throw (
      failures.find((e) => e instanceof ReorgTooDeepError) ??
      failures.find((e) => !(e instanceof ProviderBehindError))
    );
  };
  return withRetry(round, { ...client.retry, retryable: (error) => error instanceof RpcError });
}

const isBadTimestamp = (error: unknown): boolean =>
  error instanceof ProviderBehindError && /has timestamp/.test(error.message);

/** The reorg (or restore) messages of this poll, each within the processor's cap. */
function toReorgEvents(parameters: IngestChainParameters, read: RangeRead, seq: number): ReorgEvent[] {
  const { chain, cursor, settings } = parameters;
  const highWater = cursor.highWater ?? (cursor.next ?? settings.startBlock) - 1;
  // After a reorg every block of the new branch is restored; later, any block re-read at a height
  // published before may carry an orphan mark from an earlier reorg (an A→B→A flip), so it is restored too.
  const restored = read.headers
    .filter((h) => read.ancestor !== undefined || h.number <= highWater)
    .map(blockRef);
  if (read.orphaned.length === 0 && restored.length === 0) return [];
  const ancestor = read.ancestor ??
    read.base.recent.at(-1) ?? {
      number: read.base.next - 1,
      hash: (read.headers[0] as BlockHeader).parentHash,
    };
  return buildReorgEvents({
    chain,
    commonAncestor: ancestor,
    orphaned: read.orphaned,
    restored,
    seq,
    newHead: blockRef(read.latest),
    detectedAt: Math.floor(parameters.now() / 1000),
  });
}

function decodeInbox(chain: Chain, read: RangeRead, network: TaikoNetwork | undefined) {
  const { events, skipped } = decodeForkLogs({
    logs: read.logs,
    blockTimestamps: new Map(read.headers.map((h) => [h.number, h.timestamp])),
    network,
  });
  const rejections: Rejection[] = skipped.map(({ log, reason }) => ({
    kind: "undecodable_log",
    chain,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    txHash: log.transactionHash,
    logIndex: log.logIndex,
    topics: log.topics,
    data: log.data.slice(0, MAX_DATA_CHARS),
    reason,
  }));
  return { events, rejections };
}

/** Rejected input reaches the DLQ (with its reason) before the cursor can move past it. */
async function rejectAll(parameters: IngestChainParameters, rejections: readonly Rejection[]): Promise<void> {
  const { chain, metrics, logger } = parameters;
  if (rejections.length === 0) return;
  for (const rejection of rejections) {
    const { reason, ...where } = rejection;
    logger.error("input rejected", { ...where, reason: reason.slice(0, 1000) });
  }
  await parameters.reject?.(rejections);
  metrics.record(IngestorMetric.RecordsRejected, rejections.length, chain);
}

function toHeaderEvent(chain: Chain, header: BlockHeader): HeaderEvent {
  const { logsBloom: _bloom, extraData: _extraData, ...fields } = header;
  const event = { v: SCHEMA_VERSION, type: chain === "l1" ? "l1_header" : "l2_header", ...fields } as const;
  const checked = PipelineEventSchema.safeParse(event);
  if (!checked.success) {
    throw new RpcError(`${chain} block ${header.number} is not a valid header: ${checked.error.message}`);
  }
  return event;
}

function blockRef(block: { number: number; hash: Hex }): RecentBlock {
  return { number: block.number, hash: block.hash };
}
