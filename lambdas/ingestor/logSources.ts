import type { Hex } from "viem";
import { RpcError } from "../shared/errors.js";
import { type Chain, type PipelineEvent, PipelineEventSchema } from "../shared/events.js";
import { IngestorMetric } from "../shared/metricNames.js";
import { decodeShastaLog, type ShastaRecord, shastaEventTopics } from "../shared/taiko/decodeShasta.js";
import { decodeShastaL2Block, type ShastaL2BlockInput } from "../shared/taiko/decodeShastaL2Block.js";
import {
  type DecoderName,
  decoderForAddress,
  forkAt,
  logSources,
  type TaikoNetwork,
} from "../shared/taiko/networks.js";
import { ShastaL2BlockDecodeError, ShastaLogDecodeError } from "../shared/taiko/ShastaDecodeError.js";
import { proposalBlockEventOf, shastaEventsOf } from "../shared/taiko/shastaEventOf.js";
import type { BlockHeader, ChainClient, ChainLog } from "./chainReader.js";
import { decodeInboxLogs, inboxEventTopics, type SkippedLog } from "./decodeInbox.js";
import type { IngestorLogger, MetricsSink } from "./observability.js";

/**
 * Fork-aware reading (issue 12): which L1 contracts to watch and how to decode their logs, and the
 * L2 side's proposal link. A network preset (lambdas/shared/taiko/networks.ts) lists the contracts
 * of every fork; a log is decoded by the contract that emitted it — Pacaya's inbox keeps proving and
 * verifying after Shasta activates, and Shasta's inbox takes bond deposits before `activate()` — so a
 * range that straddles the fork reads both with no gap. An L2 block is a Shasta block when its
 * timestamp is at or past the Shasta activation (Taiko forks on time), and then names its proposal in
 * its header's extraData (decodeShastaL2Block).
 */

/** The addresses to pass to eth_getLogs: every fork's contracts, or the legacy Pacaya pair. */
export function watchedAddresses(network: TaikoNetwork): Hex[] {
  return logSources(network).map((s) => s.address);
}

/** topic0 alternatives for eth_getLogs: Pacaya's events, plus Shasta's when the network has that fork. */
export function forkEventTopics(network: TaikoNetwork | undefined): readonly Hex[] {
  if (!network?.forks.some((f) => f.decoder === "shasta")) return inboxEventTopics;
  return [...inboxEventTopics, ...shastaEventTopics];
}

export interface DecodeForkLogsParameters {
  readonly logs: readonly ChainLog[];
  readonly blockTimestamps: ReadonlyMap<number, number>;
  /** Absent: every log is Pacaya (a deployment configured with INBOX_ADDRESS only). */
  readonly network?: TaikoNetwork;
}

export interface DecodeForkLogsReturnType {
  readonly events: PipelineEvent[];
  readonly skipped: SkippedLog[];
}

/**
 * Decode one eth_getLogs answer, routing each log by its emitting contract to the decoder of the
 * fork that introduced it. Events come back in log order; a log that is not a valid event of its
 * contract is skipped with its reason (one bad log must not stop the chain).
 */
export function decodeForkLogs({
  logs,
  blockTimestamps,
  network,
}: DecodeForkLogsParameters): DecodeForkLogsReturnType {
  const byDecoder: Record<DecoderName, ChainLog[]> = { pacaya: [], shasta: [] };
  const skipped: SkippedLog[] = [];
  for (const log of logs) {
    const decoder = network ? decoderForAddress(network, log.address) : "pacaya";
    if (decoder === undefined) {
      skipped.push({ log, reason: `${log.address} is not a contract of network ${network?.name}` });
    } else byDecoder[decoder].push(log);
  }
  const pacaya = decodeInboxLogs({ logs: byDecoder.pacaya, blockTimestamps });
  const shasta = decodeShastaChainLogs(byDecoder.shasta, blockTimestamps);
  const place = new Map<PipelineEvent, number>();
  const order = (events: readonly PipelineEvent[], position: (e: PipelineEvent) => number) => {
    for (const e of events) place.set(e, position(e));
  };
  const at = (l: { blockNumber: number; logIndex: number }) => l.blockNumber * 1_000_000 + l.logIndex;
  order(pacaya.events, (e) => ("l1" in e ? at(e.l1) : 0));
  order(shasta.events, (e) => ("l1" in e ? at(e.l1) : 0));
  // Stable: the N events of one BatchesProved keep their order.
  const events = [...pacaya.events, ...shasta.events].sort(
    (a, b) => (place.get(a) ?? 0) - (place.get(b) ?? 0),
  );
  return { events, skipped: [...skipped, ...pacaya.skipped, ...shasta.skipped] };
}

function decodeShastaChainLogs(
  logs: readonly ChainLog[],
  blockTimestamps: ReadonlyMap<number, number>,
): DecodeForkLogsReturnType {
  const records: ShastaRecord[] = [];
  const logOf = new Map<ShastaRecord, ChainLog>();
  const skipped: SkippedLog[] = [];
  for (const log of logs) {
    try {
      const record = decodeShastaLog(log);
      records.push(record);
      logOf.set(record, log);
    } catch (error) {
      if (!(error instanceof ShastaLogDecodeError)) throw error;
      skipped.push({ log, reason: error.message });
    }
  }
  const out = shastaEventsOf({ records, blockTimestamps });
  for (const { record, reason } of out.skipped) {
    const log = logOf.get(record);
    if (log) skipped.push({ log, reason });
  }
  return { events: out.events, skipped };
}

/** True when an L2 block of this time is a Shasta block on the network (Shasta or a later fork in force). */
export function isShastaL2Time(network: TaikoNetwork | undefined, timestamp: number): boolean {
  return network !== undefined && forkAt(network, { timestamp }).decoder === "shasta";
}

export interface ReadProposalBlocksReturnType {
  readonly events: PipelineEvent[];
  /** Shasta-era blocks whose header or anchor is not where the protocol puts it, with the reason. */
  readonly skipped: { readonly number: number; readonly hash: Hex; readonly reason: string }[];
}

/**
 * The proposal link of every Shasta-era L2 block among `headers`: each block is read again by hash
 * with its transactions (the anchor is the first), so the link describes exactly the header being
 * published, even if the chain moved in between (then the node answers null and the poll retries).
 */
export async function readProposalBlocks(
  client: ChainClient,
  network: TaikoNetwork | undefined,
  headers: readonly BlockHeader[],
): Promise<ReadProposalBlocksReturnType> {
  const shastaHeaders = headers.filter((h) => isShastaL2Time(network, h.timestamp));
  if (!network || shastaHeaders.length === 0) return { events: [], skipped: [] };
  let blocks: unknown[];
  try {
    blocks = await client.headers(
      shastaHeaders.map((h) => ({ method: "eth_getBlockByHash", params: [h.hash, true] })),
    );
  } catch (error) {
    throw new RpcError(
      `reading Shasta L2 blocks with their transactions failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const events: PipelineEvent[] = [];
  const skipped: { number: number; hash: Hex; reason: string }[] = [];
  shastaHeaders.forEach((header, i) => {
    const block = blocks[i] as (Omit<ShastaL2BlockInput, "number"> & { number: Hex }) | null | undefined;
    if (!block) {
      throw new RpcError(
        `l2 block ${header.number} ${header.hash} is gone: the chain moved, retrying next poll`,
      );
    }
    try {
      const link = decodeShastaL2Block({
        block: { ...block, number: BigInt(block.number) },
        anchorAddress: network.l2Anchor,
      });
      const event = proposalBlockEventOf(link, { timestamp: header.timestamp });
      // The schema refuses what no Shasta block carries (proposal 0, the genesis, has no L2 block).
      const checked = PipelineEventSchema.safeParse(event);
      if (checked.success) events.push(event);
      else skipped.push({ number: header.number, hash: header.hash, reason: checked.error.message });
    } catch (error) {
      if (!(error instanceof ShastaL2BlockDecodeError)) throw error;
      skipped.push({ number: header.number, hash: header.hash, reason: error.message });
    }
  });
  return { events, skipped };
}

export interface ReadProposalLinksParameters {
  readonly chain: Chain;
  readonly client: ChainClient;
  readonly settings: { readonly network?: TaikoNetwork };
  readonly metrics: MetricsSink;
  readonly logger: IngestorLogger;
}

/** The ingestor's step for the L2: the proposal links of a range, a block that does not decode logged and counted. */
export async function readProposalLinks(
  parameters: ReadProposalLinksParameters,
  headers: readonly BlockHeader[],
): Promise<PipelineEvent[]> {
  const { chain, client, settings, metrics, logger } = parameters;
  if (chain !== "l2") return [];
  const { events, skipped } = await readProposalBlocks(client, settings.network, headers);
  for (const block of skipped) {
    logger.warn("Shasta L2 block without a proposal link skipped", { chain, ...block });
    metrics.record(IngestorMetric.InboxLogsSkipped, 1, chain);
  }
  return events;
}
