import type { Hex } from "viem";
import { chunk } from "../shared/chunk.js";
import { ReorgTooDeepError, RpcError } from "../shared/errors.js";
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
import type { TaikoNetwork } from "../shared/taiko/networks.js";
import {
  type BlockHeader,
  type ChainClient,
  getChainLogs,
  getHead,
  getHeadersByNumber,
} from "./chainReader.js";
import type { Cursor, CursorStore, RecentBlock } from "./cursorStore.js";
import { decodeForkLogs, forkEventTopics, readProposalLinks } from "./logSources.js";
import type { IngestorLogger, MetricsSink } from "./observability.js";

export interface IngestChainSettings {
  readonly startBlock: number;
  readonly maxBlocksPerRange: number;
  readonly confirmations: number;
  /** Contracts whose inbox events are read (L1 only); empty for a chain without them. */
  readonly inboxAddresses: readonly Hex[];
  /** The network preset: which contract's logs are Shasta, and when L2 blocks name their proposal (logSources.ts). */
  readonly network?: TaikoNetwork;
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
  readonly reorg: ReorgEvent | undefined;
  /** Nothing left to read up to `end`: the caller may sleep (or, for a backfill, stop). */
  readonly caughtUp: boolean;
}

/**
 * One poll of one chain: read the next range of headers (and inbox logs), detect
 * a reorg by parent-hash linkage, publish, then advance the cursor. The scheduled
 * ingestor and `tidemark backfill` (with `settings.toBlock`) both run this.
 */
export async function ingestChain(parameters: IngestChainParameters): Promise<IngestChainReturnType> {
  const { chain, client, cursor, settings, metrics, logger } = parameters;
  const latest = await getHead(client);
  const head = latest.number - settings.confirmations;
  const end = settings.toBlock === undefined ? head : Math.min(head, settings.toBlock);
  metrics.record(IngestorMetric.ChainHead, latest.number, chain);

  let base = { next: cursor.next ?? settings.startBlock, recent: cursor.recent };
  let reorg: ReorgEvent | undefined;
  let headers: BlockHeader[];
  let to: number;
  for (;;) {
    const last = base.recent.at(-1);
    to = Math.min(end, base.next + settings.maxBlocksPerRange - 1);
    // The last block we published is read with the range: a changed hash there is a reorg.
    const numbers = [...(last ? [last.number] : []), ...range(base.next, to)];
    const fetched = await getHeadersByNumber(client, { numbers });
    const tip = last ? fetched.shift() : undefined;
    if (last && tip?.hash !== last.hash) {
      if (reorg)
        throw new RpcError(`${chain} changed again while recovering from a reorg; retrying next poll`);
      const ancestor = await findCommonAncestor(client, chain, base.recent);
      const orphaned = base.recent.filter((b) => b.number > ancestor.number);
      reorg = {
        v: SCHEMA_VERSION,
        type: "reorg",
        chain,
        commonAncestor: ancestor,
        depth: orphaned.length,
        orphaned,
        newHead: { number: latest.number, hash: latest.hash },
        detectedAt: Math.floor(parameters.now() / 1000),
      };
      logger.warn("reorg detected", {
        chain,
        depth: reorg.depth,
        commonAncestor: ancestor,
        newHead: reorg.newHead,
      });
      // Continue from the ancestor so that the new canonical blocks are published in this same range.
      base = { next: ancestor.number + 1, recent: base.recent.filter((b) => b.number <= ancestor.number) };
      continue;
    }
    headers = fetched.map((header, i) => {
      if (!header) throw new RpcError(`${chain} block ${base.next + i} is not available on the node yet`);
      return header;
    });
    break;
  }
  assertLinked(chain, base.recent.at(-1), headers);

  // Blocks an interrupted attempt published past the cursor that the chain has since replaced: no
  // cursor remembers them, so they are orphaned here or never (found by the chaos suite).
  const stale = await stalePending(client, cursor.pending ?? [], headers);
  if (stale.length > 0) {
    const orphaned = uniqueBlocks([...((reorg?.orphaned ?? []) as RecentBlock[]), ...stale]);
    reorg = {
      v: SCHEMA_VERSION,
      type: "reorg",
      chain,
      commonAncestor: reorg?.commonAncestor ?? (await ancestorBelow(client, base, headers)),
      depth: orphaned.length,
      orphaned,
      newHead: { number: latest.number, hash: latest.hash },
      detectedAt: Math.floor(parameters.now() / 1000),
    };
    logger.warn("blocks published by an interrupted attempt were reorged out", { chain, stale });
  }

  const inbox = [
    ...(await readInboxEvents(parameters, headers)),
    ...(await readProposalLinks(parameters, headers)),
  ];
  const headerEvents = headers.map((h) => toHeaderEvent(chain, h));
  const events: PipelineEvent[] = [...(reorg ? [reorg] : []), ...headerEvents, ...inbox];

  parameters.faults?.hit(FaultPoint.IngestorAfterFetch, { chain });
  if (events.length === 0) {
    metrics.record(IngestorMetric.IngestLagBlocks, Math.max(0, head - (base.next - 1)), chain);
    return { cursor, head, end, blocks: 0, inboxEvents: 0, reorg, caughtUp: true };
  }

  // Invariant: every block is recorded as pending before it is published past the cursor, so a reorg
  // of it is caught even when this attempt dies (or loses its lease) before advancing.
  if (headers.length > 0 || stale.length > 0) {
    await parameters.store.markPending(
      chain,
      parameters.owner,
      {
        expectedNext: cursor.next,
        pending: uniqueBlocks([
          ...(cursor.pending ?? []),
          ...headers.map((h) => ({ number: h.number, hash: h.hash })),
        ]),
      },
      parameters.now(),
    );
  }
  await parameters.publish(events);
  parameters.faults?.hit(FaultPoint.IngestorAfterPublish, { chain });
  // Invariant: the cursor moves only after the range is published. A crash in between
  // republishes the range next time, and the deduplication ids make that harmless.
  const next = headers.length > 0 ? to + 1 : base.next;
  const recent: RecentBlock[] = [...base.recent, ...headers.map((h) => ({ number: h.number, hash: h.hash }))];
  const advanced = await parameters.store.advance(
    chain,
    parameters.owner,
    { expectedNext: cursor.next, next, recent },
    parameters.now(),
  );

  metrics.record(IngestorMetric.BlocksIngested, headers.length, chain);
  metrics.record(IngestorMetric.MessagesPublished, events.length, chain);
  if (inbox.length > 0) metrics.record(IngestorMetric.InboxEventsPublished, inbox.length, chain);
  if (reorg) {
    metrics.record(IngestorMetric.ReorgsDetected, 1, chain);
    metrics.record(IngestorMetric.ReorgDepth, reorg.depth, chain);
  }
  metrics.record(IngestorMetric.IngestLagBlocks, Math.max(0, head - (next - 1)), chain);
  logger.info("range published", {
    chain,
    fromBlock: headers[0]?.number,
    toBlock: headers.at(-1)?.number,
    blocks: headers.length,
    inboxEvents: inbox.length,
    reorg: reorg !== undefined,
    head,
  });
  return {
    cursor: advanced,
    head,
    end,
    blocks: headers.length,
    inboxEvents: inbox.length,
    reorg,
    caughtUp: next > end,
  };
}

/**
 * The highest remembered block that is still canonical. Walks down from the top in
 * chunks (one JSON-RPC batch each) comparing the cursor's hashes with the chain's.
 */
export async function findCommonAncestor(
  client: ChainClient,
  chain: Chain,
  recent: readonly RecentBlock[],
  chunkSize = 32,
): Promise<RecentBlock> {
  // Newest first: a shallow reorg, the common case, is settled by the first batch.
  for (const part of chunk([...recent].reverse(), { maxItems: chunkSize })) {
    const current = await getHeadersByNumber(client, { numbers: part.map((b) => b.number) });
    const match = part.find((b, i) => current[i]?.hash === b.hash);
    if (match) return match;
  }
  throw new ReorgTooDeepError(
    `${chain} reorg is deeper than the ${recent.length} block hashes the cursor remembers: backfill from a safe block`,
    { context: { chain, oldestRemembered: recent[0] } },
  );
}

async function readInboxEvents(parameters: IngestChainParameters, headers: readonly BlockHeader[]) {
  const { chain, client, settings, metrics, logger } = parameters;
  const first = headers[0];
  const last = headers.at(-1);
  if (settings.inboxAddresses.length === 0 || !first || !last) return [];
  const logs = await getChainLogs(client, {
    addresses: settings.inboxAddresses,
    eventTopics: forkEventTopics(settings.network),
    fromBlock: first.number,
    toBlock: last.number,
    onSplit: () => metrics.record(IngestorMetric.LogRangeSplits, 1, chain),
  });
  const byNumber = new Map(headers.map((h) => [h.number, h]));
  for (const log of logs) {
    // Logs and headers come from separate requests (maybe separate nodes): both must describe the same blocks.
    const header = byNumber.get(log.blockNumber);
    if (header?.hash !== log.blockHash) {
      throw new RpcError(
        `${chain} log ${log.transactionHash}#${log.logIndex} is from block ${log.blockNumber} ${log.blockHash}, but that block is now ${header?.hash ?? "outside the range"}; the chain moved, retrying next poll`,
      );
    }
  }
  const { events, skipped } = decodeForkLogs({
    logs,
    blockTimestamps: new Map(headers.map((h) => [h.number, h.timestamp])),
    network: settings.network,
  });
  for (const { log, reason } of skipped) {
    logger.warn("inbox log skipped", {
      chain,
      blockNumber: log.blockNumber,
      txHash: log.transactionHash,
      logIndex: log.logIndex,
      reason,
    });
    metrics.record(IngestorMetric.InboxLogsSkipped, 1, chain);
  }
  return events;
}

/** Invariant: the published chain is linked by parent hash, from the cursor's last block through the range. */
function assertLinked(chain: Chain, last: RecentBlock | undefined, headers: readonly BlockHeader[]): void {
  let previous = last;
  for (const header of headers) {
    if (previous && (header.parentHash !== previous.hash || header.number !== previous.number + 1)) {
      throw new RpcError(
        `${chain} block ${header.number} does not link to ${previous.number} ${previous.hash}: the chain moved during the read, retrying next poll`,
      );
    }
    previous = header;
  }
}

function toHeaderEvent(chain: Chain, header: BlockHeader): HeaderEvent {
  const event = { v: SCHEMA_VERSION, type: chain === "l1" ? "l1_header" : "l2_header", ...header } as const;
  const checked = PipelineEventSchema.safeParse(event);
  if (!checked.success) {
    throw new RpcError(`${chain} block ${header.number} is not a valid header: ${checked.error.message}`);
  }
  return event;
}

/** Pending blocks whose number the chain now fills with another block (or with none). */
async function stalePending(
  client: ChainClient,
  pending: readonly RecentBlock[],
  headers: readonly BlockHeader[],
): Promise<RecentBlock[]> {
  if (pending.length === 0) return [];
  const current = new Map<number, Hex | undefined>(headers.map((h) => [h.number, h.hash]));
  const unknown = [...new Set(pending.map((b) => b.number).filter((n) => !current.has(n)))];
  if (unknown.length > 0) {
    const fetched = await getHeadersByNumber(client, { numbers: unknown });
    unknown.forEach((n, i) => {
      current.set(n, fetched[i]?.hash);
    });
  }
  return pending.filter((b) => current.get(b.number) !== b.hash);
}

/** The canonical block just below the range: the cursor's last one, or read from the chain. */
async function ancestorBelow(
  client: ChainClient,
  base: { next: number; recent: readonly RecentBlock[] },
  headers: readonly BlockHeader[],
): Promise<RecentBlock> {
  const last = base.recent.at(-1);
  if (last) return last;
  const number = Math.max(0, base.next - 1);
  const first = headers[0];
  if (first && first.number === number + 1) return { number, hash: first.parentHash };
  const [below] = await getHeadersByNumber(client, { numbers: [number] });
  if (!below) throw new RpcError(`block ${number} is not available on the node`);
  return { number, hash: below.hash };
}

function uniqueBlocks(blocks: readonly RecentBlock[]): RecentBlock[] {
  const seen = new Set<string>();
  return blocks.filter((b) => !seen.has(b.hash) && seen.add(b.hash) !== undefined);
}

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
