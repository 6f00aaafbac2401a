import type { Hex } from "viem";
import { RpcError } from "../shared/errors.js";
import type { Chain, PipelineEvent } from "../shared/events.js";
import { PipelineEventSchema } from "../shared/events.js";
import type { L1TxRole } from "../shared/feeEvents.js";
import { IngestorMetric } from "../shared/metricNames.js";
import { FeeDerivationError, l1TxCostOf, l2BlockFeesOf, type RpcReceipt } from "../shared/taiko/feesOf.js";
import type { TaikoNetwork } from "../shared/taiko/networks.js";
import type { BlockHeader, ChainClient } from "./chainReader.js";
import { isShastaL2Time } from "./logSources.js";
import type { IngestorLogger, MetricsSink } from "./observability.js";

/**
 * Fees and L1 costs (issue 12, item 5): the receipts behind them, read in JSON-RPC batches through the
 * same batch path as headers. On L2 one `eth_getBlockReceipts` per block (falling back, once a node says
 * it lacks the method, to the block's transaction hashes and one `eth_getTransactionReceipt` each); on L1
 * one `eth_getTransactionReceipt` per proposing or proving transaction. READ_FEES=false turns all of it off.
 * Every receipt must belong to the block hash that was read, so the events describe exactly the blocks
 * being published; a node that moved on answers for another block and the poll retries.
 */

/** Clients whose node answered that it has no eth_getBlockReceipts: they take the per-transaction path. */
const withoutBlockReceipts = new WeakSet<ChainClient>();

const METHOD_MISSING = /-32601|method not found|not supported|does not exist|not available/i;

export interface ReadFeesReturnType {
  readonly events: PipelineEvent[];
  /** Blocks or transactions whose receipts do not add up, with the reason (logged and counted). */
  readonly skipped: { readonly at: string; readonly reason: string }[];
}

/** The fees of every L2 block among `headers` (the anchor excluded). Needs the network's L2 anchor. */
export async function readL2BlockFees(
  client: ChainClient,
  network: TaikoNetwork,
  headers: readonly BlockHeader[],
): Promise<ReadFeesReturnType> {
  const receipts = await blockReceipts(client, headers);
  const events: PipelineEvent[] = [];
  const skipped: { at: string; reason: string }[] = [];
  headers.forEach((h, i) => {
    const at = `l2 block ${h.number} ${h.hash}`;
    const list = receipts[i] as readonly RpcReceipt[];
    if (list.length !== h.txCount) {
      throw new RpcError(`${at}: ${list.length} receipts for ${h.txCount} transactions, retrying next poll`);
    }
    if (h.baseFeePerGas === null) {
      skipped.push({ at, reason: "no baseFeePerGas: a block before EIP-1559 has no base fee to share" });
      return;
    }
    derive(events, skipped, at, () =>
      l2BlockFeesOf({
        number: h.number,
        hash: h.hash,
        timestamp: h.timestamp,
        baseFeePerGas: BigInt(h.baseFeePerGas as string),
        extraData: h.extraData ?? "0x",
        shasta: isShastaL2Time(network, h.timestamp),
        receipts: list,
        anchorAddress: network.l2Anchor,
      }),
    );
  });
  return { events, skipped };
}

/** The cost of every L1 transaction among `inboxEvents` that proposed (or else proved). */
export async function readL1TxCosts(
  client: ChainClient,
  headers: readonly BlockHeader[],
  inboxEvents: readonly PipelineEvent[],
): Promise<ReadFeesReturnType> {
  const txs = costedTransactions(inboxEvents);
  if (txs.length === 0) return { events: [], skipped: [] };
  const answers = await batch(
    client,
    txs.map((t) => ({ method: "eth_getTransactionReceipt", params: [t.l1.txHash] })),
    "L1 transaction receipts",
  );
  const timestamps = new Map(headers.map((h) => [h.hash, h.timestamp]));
  const events: PipelineEvent[] = [];
  const skipped: { at: string; reason: string }[] = [];
  txs.forEach((t, i) => {
    const receipt = answers[i] as RpcReceipt | null;
    const at = `l1 tx ${t.l1.txHash} in block ${t.l1.blockNumber}`;
    if (!receipt) throw new RpcError(`${at}: no receipt, the chain moved; retrying next poll`);
    const timestamp = timestamps.get(t.l1.blockHash as Hex) ?? t.l1.timestamp;
    derive(events, skipped, at, () =>
      l1TxCostOf({
        receipt,
        role: t.role,
        l1: { blockNumber: t.l1.blockNumber, blockHash: t.l1.blockHash as Hex, timestamp },
        logIndex: t.l1.logIndex,
      }),
    );
  });
  return { events, skipped };
}

interface CostedTx {
  readonly role: L1TxRole;
  readonly l1: {
    blockNumber: number;
    blockHash: string;
    timestamp: number;
    txHash: string;
    logIndex: number;
  };
}

/**
 * One entry per (L1 block, transaction) holding a proposal or a proof, at its first inbox log. A
 * transaction that both proposes and proves is a proposing one: its cost is counted once, as data cost.
 */
export function costedTransactions(inboxEvents: readonly PipelineEvent[]): CostedTx[] {
  const byTx = new Map<string, CostedTx>();
  for (const e of inboxEvents) {
    const role = roleOf(e);
    if (role === undefined || !("l1" in e)) continue;
    const id = `${e.l1.blockHash}:${e.l1.txHash}`;
    const seen = byTx.get(id);
    if (!seen) byTx.set(id, { role, l1: e.l1 });
    else if (seen.role === "prove" && role === "propose") byTx.set(id, { role, l1: seen.l1 });
  }
  return [...byTx.values()];
}

function roleOf(e: PipelineEvent): L1TxRole | undefined {
  if (e.type === "batch_proposed" || e.type === "shasta_proposed") return "propose";
  if (e.type === "batches_proved" || e.type === "shasta_proved") return "prove";
  return undefined;
}

/** Derive and check one event; receipts of another block mean the chain moved (retry), other faults skip it. */
function derive(
  events: PipelineEvent[],
  skipped: { at: string; reason: string }[],
  at: string,
  build: () => PipelineEvent,
): void {
  let event: PipelineEvent;
  try {
    event = build();
  } catch (error) {
    if (!(error instanceof FeeDerivationError)) throw error;
    if (error.chainMoved) throw new RpcError(`${at}: ${error.message}; retrying next poll`, { cause: error });
    skipped.push({ at, reason: error.message });
    return;
  }
  const checked = PipelineEventSchema.safeParse(event);
  if (checked.success) events.push(event);
  else skipped.push({ at, reason: checked.error.message });
}

/** Each block's receipts, by hash: eth_getBlockReceipts, or per transaction where the node lacks it. */
async function blockReceipts(client: ChainClient, headers: readonly BlockHeader[]): Promise<RpcReceipt[][]> {
  if (headers.length === 0) return [];
  if (!withoutBlockReceipts.has(client)) {
    try {
      const answers = await client.headers(
        headers.map((h) => ({ method: "eth_getBlockReceipts", params: [h.hash] })),
      );
      return answers.map((list, i) => {
        if (!Array.isArray(list)) throw gone(headers[i] as BlockHeader);
        return list as RpcReceipt[];
      });
    } catch (error) {
      if (error instanceof RpcError || !METHOD_MISSING.test((error as Error).message)) {
        throw asRpcError(error, "L2 block receipts");
      }
      withoutBlockReceipts.add(client);
    }
  }
  return receiptsPerTransaction(client, headers);
}

async function receiptsPerTransaction(
  client: ChainClient,
  headers: readonly BlockHeader[],
): Promise<RpcReceipt[][]> {
  const blocks = await batch(
    client,
    headers.map((h) => ({ method: "eth_getBlockByHash", params: [h.hash, false] })),
    "L2 blocks' transaction hashes",
  );
  const hashes = blocks.map((b, i) => {
    const txs = (b as { transactions?: Hex[] } | null)?.transactions;
    if (!txs) throw gone(headers[i] as BlockHeader);
    return txs;
  });
  const flat = await batch(
    client,
    hashes.flat().map((tx) => ({ method: "eth_getTransactionReceipt", params: [tx] })),
    "L2 transaction receipts",
  );
  let next = 0;
  return hashes.map((txs, i) =>
    txs.map(() => {
      const receipt = flat[next++] as RpcReceipt | null;
      if (!receipt) throw gone(headers[i] as BlockHeader);
      return receipt;
    }),
  );
}

async function batch(
  client: ChainClient,
  calls: { method: string; params: unknown[] }[],
  what: string,
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  try {
    return await client.headers(calls);
  } catch (error) {
    throw asRpcError(error, what);
  }
}

const gone = (h: BlockHeader) =>
  new RpcError(`l2 block ${h.number} ${h.hash} is gone: the chain moved, retrying next poll`);

const asRpcError = (error: unknown, what: string): RpcError =>
  error instanceof RpcError
    ? error
    : new RpcError(`reading ${what} failed: ${(error as Error).message}`, { cause: error });

export interface ReadFeeEventsParameters {
  readonly chain: Chain;
  readonly client: ChainClient;
  readonly settings: { readonly network?: TaikoNetwork; readonly readFees?: boolean };
  readonly metrics: MetricsSink;
  readonly logger: IngestorLogger;
}

/**
 * The ingestor's step for fees: L2 block fees on the L2, proposing and proving transactions' costs on the
 * L1. Off unless `readFees` (READ_FEES, on by default in the ingestor's config), and without a network
 * preset (a Pacaya-only deployment does not name its L2 anchor).
 */
export async function readFeeEvents(
  parameters: ReadFeeEventsParameters,
  headers: readonly BlockHeader[],
  inboxEvents: readonly PipelineEvent[],
): Promise<PipelineEvent[]> {
  const { chain, client, settings, metrics, logger } = parameters;
  const network = settings.network;
  if (!settings.readFees || !network) return [];
  const { events, skipped } =
    chain === "l2"
      ? await readL2BlockFees(client, network, headers)
      : await readL1TxCosts(client, headers, inboxEvents);
  for (const s of skipped) logger.warn("fees skipped", { chain, ...s });
  if (skipped.length > 0) metrics.record(IngestorMetric.FeesSkipped, skipped.length, chain);
  return events;
}
