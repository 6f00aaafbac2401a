import { decodeFunctionResult, encodeFunctionData, type Hex, toEventSelector, zeroAddress } from "viem";
import { RpcError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { PipelineEventSchema } from "../shared/events.js";
import { IngestorMetric } from "../shared/metricNames.js";
import type { PreconfEpochEvent, PreconfOperator, PreconfTrigger } from "../shared/preconfEvents.js";
import { forkAt, type TaikoNetwork } from "../shared/taiko/networks.js";
import { epochStartOf, preconfWhitelistAbi } from "../shared/taiko/preconfWhitelistAbi.js";
import type { BlockHeader, ChainClient } from "./chainReader.js";
import { createBloomFilter } from "./logBloom.js";
import type { ReadProposalLinksParameters } from "./logSources.js";

/**
 * The preconfirmation operators per epoch (issue 12, item 5), read from the PreconfWhitelist by calls at
 * the L1 blocks being published (eth_call by block hash, EIP-1898, in JSON-RPC batches through the header
 * batch path). Read at the first block of each beacon epoch and at every block whose bloom allows an
 * OperatorAdded / OperatorRemoved of the whitelist (a removal changes the epoch's operator at once).
 * READ_PRECONF=false turns it off; a network without a whitelist (the fork in force names none) has nothing to read.
 */

/** topic0 of the whitelist's operator-set changes (iface/IPreconfWhitelist.sol @b9c5bb2). */
export const OPERATOR_CHANGE_TOPICS: readonly Hex[] = [
  toEventSelector("OperatorAdded(address,address,uint256)"),
  toEventSelector("OperatorRemoved(address,address,uint256)"),
];

/** A node that no longer keeps the state of that block (a pruned node in a backfill): skip, do not retry forever. */
const STATE_GONE =
  /missing trie node|state.*(not available|unavailable|pruned)|historical state|header not found/i;

export interface PreconfRead {
  readonly header: BlockHeader;
  readonly whitelist: Hex;
  readonly trigger: PreconfTrigger;
}

export interface ReadPreconfReturnType {
  readonly events: PipelineEvent[];
  readonly skipped: { readonly at: string; readonly reason: string }[];
}

/** The whitelist of the fork in force at an L1 time, if the network names one. */
export const whitelistAt = (network: TaikoNetwork, timestamp: number): Hex | undefined =>
  forkAt(network, { timestamp }).contracts.preconfWhitelist;

/**
 * Which of `headers` (one linked range) to read the whitelist at: an epoch's first block (its epoch differs
 * from its parent's; `parentTimestamp` is the first header's parent's) and any block that may hold a change.
 */
export function preconfReadsOf(
  network: TaikoNetwork,
  headers: readonly BlockHeader[],
  parentTimestamp: number,
): PreconfRead[] {
  const reads: PreconfRead[] = [];
  // One filter per whitelist (a preset names one; a custom network could name one per fork).
  const filters = new Map<Hex, (bloom: Hex) => boolean>();
  const mayChange = (whitelist: Hex) => {
    let filter = filters.get(whitelist);
    if (!filter) {
      filter = createBloomFilter({ addresses: [whitelist], eventTopics: OPERATOR_CHANGE_TOPICS });
      filters.set(whitelist, filter);
    }
    return filter;
  };
  let previous = parentTimestamp;
  for (const header of headers) {
    const whitelist = whitelistAt(network, header.timestamp);
    const newEpoch =
      epochStartOf(header.timestamp, network.l1ChainId) !== epochStartOf(previous, network.l1ChainId);
    previous = header.timestamp;
    if (!whitelist) continue;
    const changed = header.logsBloom !== undefined && mayChange(whitelist)(header.logsBloom);
    if (newEpoch || changed)
      reads.push({ header, whitelist, trigger: newEpoch ? "epoch_start" : "operator_change" });
  }
  return reads;
}

type Call = { method: string; params: unknown[] };

const call = (to: Hex, blockHash: Hex, functionName: string, args: readonly unknown[] = []): Call => ({
  method: "eth_call",
  params: [
    { to, data: encodeFunctionData({ abi: preconfWhitelistAbi, functionName, args } as never) },
    { blockHash },
  ],
});

const decode = <T>(functionName: string, data: unknown): T =>
  decodeFunctionResult({ abi: preconfWhitelistAbi, functionName, data: data as Hex } as never) as T;

/** The whitelist's state at each read's block: three batched rounds (heads, operator addresses, their info). */
export async function readPreconfEpochs(
  client: ChainClient,
  reads: readonly PreconfRead[],
): Promise<ReadPreconfReturnType> {
  const events: PipelineEvent[] = [];
  const skipped: { at: string; reason: string }[] = [];
  if (reads.length === 0) return { events, skipped };
  const heads = await batch(
    client,
    reads.flatMap(({ whitelist: w, header: h }) => [
      call(w, h.hash, "epochStartTimestamp", [0n]),
      call(w, h.hash, "getOperatorForCurrentEpoch"),
      call(w, h.hash, "getOperatorForNextEpoch"),
      call(w, h.hash, "operatorCount"),
    ]),
  );
  const ok: { read: PreconfRead; epochStart: number; current: Hex; next: Hex; count: number }[] = [];
  for (const [i, read] of reads.entries()) {
    const at = `whitelist ${read.whitelist} at l1 block ${read.header.number} ${read.header.hash}`;
    if (heads === undefined) {
      skipped.push({ at, reason: "the node no longer has this block's state" });
      continue;
    }
    try {
      const [epochStart, current, next, count] = [
        decode<number>("epochStartTimestamp", heads[4 * i]),
        decode<Hex>("getOperatorForCurrentEpoch", heads[4 * i + 1]),
        decode<Hex>("getOperatorForNextEpoch", heads[4 * i + 2]),
        decode<number>("operatorCount", heads[4 * i + 3]),
      ];
      ok.push({ read, epochStart: Number(epochStart), current, next, count: Number(count) });
    } catch (error) {
      // No code at the address (not deployed yet at this block) answers 0x: nothing to decode.
      skipped.push({
        at,
        reason: `not a PreconfWhitelist answer: ${(error as Error).message.split("\n")[0]}`,
      });
    }
  }
  const operators = await operatorsAt(client, ok);
  ok.forEach((o, i) => {
    const at = `whitelist ${o.read.whitelist} at l1 block ${o.read.header.number}`;
    const event: PreconfEpochEvent = {
      v: 1,
      type: "preconf_epoch",
      whitelist: o.read.whitelist.toLowerCase(),
      epochStart: o.epochStart,
      readAt: {
        blockNumber: o.read.header.number,
        blockHash: o.read.header.hash,
        timestamp: o.read.header.timestamp,
      },
      trigger: o.read.trigger,
      currentOperator: o.current.toLowerCase(),
      nextOperator: o.next.toLowerCase(),
      operators: operators[i] ?? [],
    };
    const checked = PipelineEventSchema.safeParse(event);
    if (checked.success) events.push(event);
    else skipped.push({ at, reason: checked.error.message });
  });
  return { events, skipped };
}

/** operatorMapping(0 … count − 1), then operators(proposer), per read: every whitelisted operator in index order. */
async function operatorsAt(
  client: ChainClient,
  reads: readonly { read: PreconfRead; count: number }[],
): Promise<PreconfOperator[][]> {
  const slots = reads.flatMap(({ read, count }) =>
    Array.from({ length: count }, (_, index) => ({ read, index: BigInt(index) })),
  );
  const mapped = required(
    await batch(
      client,
      slots.map((s) => call(s.read.whitelist, s.read.header.hash, "operatorMapping", [s.index])),
    ),
  );
  const proposers = mapped.map((data) => decode<Hex>("operatorMapping", data));
  const infos = required(
    await batch(
      client,
      slots.map((s, i) => call(s.read.whitelist, s.read.header.hash, "operators", [proposers[i]])),
    ),
  );
  let next = 0;
  return reads.map(({ count }) =>
    Array.from({ length: count }, () => {
      const i = next++;
      const [activeSince, , , sequencer] = decode<readonly [number, number, number, Hex]>(
        "operators",
        infos[i],
      );
      return {
        proposer: (proposers[i] ?? zeroAddress).toLowerCase(),
        sequencer: sequencer.toLowerCase(),
        activeSince: Number(activeSince),
      };
    }),
  );
}

/** A later round must find the state the first round read. */
const required = (answers: unknown[] | undefined): unknown[] => {
  if (answers === undefined)
    throw new RpcError("the node dropped the whitelist state between two reads, retrying next poll");
  return answers;
};

/** One batched round; undefined when the node no longer keeps the state asked for. */
async function batch(client: ChainClient, calls: readonly Call[]): Promise<unknown[] | undefined> {
  if (calls.length === 0) return [];
  try {
    return await client.headers(calls);
  } catch (error) {
    if (STATE_GONE.test((error as Error).message)) return undefined;
    throw error instanceof RpcError
      ? error
      : new RpcError(`reading the preconf whitelist failed: ${(error as Error).message}`, { cause: error });
  }
}

/** The timestamp of the first header's parent (one eth_getBlockByHash): where its epoch is compared from. */
async function parentTimestamp(client: ChainClient, first: BlockHeader): Promise<number> {
  // Genesis has no parent: it starts no epoch of its own (verifyPreconfTables.ts reads it the same way).
  if (first.number === 0) return first.timestamp;
  const [parent] =
    (await batch(client, [{ method: "eth_getBlockByHash", params: [first.parentHash, false] }])) ?? [];
  const ts = (parent as { timestamp?: Hex } | null | undefined)?.timestamp;
  if (ts === undefined) {
    throw new RpcError(
      `l1 block ${first.number - 1} ${first.parentHash} is gone: the chain moved, retrying next poll`,
    );
  }
  return Number(BigInt(ts));
}

/** An ingestor step's parameters (logSources.ts), with the READ_PRECONF switch. */
export interface ReadPreconfEventsParameters extends ReadProposalLinksParameters {
  readonly settings: { readonly network?: TaikoNetwork; readonly readPreconf?: boolean };
}

/** The ingestor's step for preconf operators: L1 only, with a network naming a whitelist, unless READ_PRECONF=false. */
export async function readPreconfEvents(
  parameters: ReadPreconfEventsParameters,
  headers: readonly BlockHeader[],
): Promise<PipelineEvent[]> {
  const { chain, client, settings, metrics, logger } = parameters;
  const network = settings.network;
  const first = headers[0];
  if (chain !== "l1" || !settings.readPreconf || !network || !first) return [];
  if (!network.forks.some((f) => f.contracts.preconfWhitelist)) return [];
  const reads = preconfReadsOf(network, headers, await parentTimestamp(client, first));
  const { events, skipped } = await readPreconfEpochs(client, reads);
  for (const s of skipped) logger.warn("preconf whitelist read skipped", { chain, ...s });
  if (skipped.length > 0) metrics.record(IngestorMetric.PreconfReadsSkipped, skipped.length, chain);
  return events;
}
