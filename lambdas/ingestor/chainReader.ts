import {
  BaseError,
  type Client,
  createClient,
  fallback,
  type Hex,
  type HttpTransportConfig,
  hexToBigInt,
  hexToNumber,
  http,
  numberToHex,
  type RpcBlock,
  type RpcLog,
  type Transport,
} from "viem";
import { RpcError } from "../shared/errors.js";
import { createJsonRpcBatch, type JsonRpcBatch } from "./jsonRpcBatch.js";

/**
 * Chain reads in viem's action style: every function takes the client first.
 * Everything returned is lowercase hex and plain numbers / decimal strings,
 * ready for the event schema.
 */

export interface BlockHeader {
  readonly number: number;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly timestamp: number;
  readonly gasUsed: string;
  readonly gasLimit: string;
  readonly baseFeePerGas: string | null;
  readonly txCount: number;
  readonly miner: Hex;
}

export interface ChainLog {
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: number;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
  readonly logIndex: number;
}

export type ChainClient = Client<Transport>;

export interface CreateChainClientParameters {
  readonly urls: readonly string[];
  /** eth_getBlockByNumber calls per JSON-RPC batch (one HTTP request each). @default 100 */
  readonly batchSize?: number;
  /** Retries of a failed request over the whole fallback list. @default 3 */
  readonly retryCount?: number;
  /** Base of the exponential backoff between retries. @default 250 */
  readonly retryDelayMs?: number;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number;
  /** Observe each HTTP request (tests count them). */
  readonly onFetchRequest?: HttpTransportConfig["onFetchRequest"];
}

/** A client over `fallback([http(url)...])`: the next URL is tried when one fails, with backoff between rounds. */
export function createChainClient(parameters: CreateChainClientParameters): ChainClient {
  const { urls, batchSize = 100, retryCount = 3, retryDelayMs = 250, timeoutMs = 10_000 } = parameters;
  const transports = urls.map((url) =>
    http(url, { batch: { batchSize }, timeout: timeoutMs, onFetchRequest: parameters.onFetchRequest }),
  );
  const client = createClient({
    // viem's retry doubles the delay each attempt: 250, 500, 1000 ms.
    transport: fallback(transports, { retryCount, retryDelay: retryDelayMs }),
  });
  headerBatches.set(
    client,
    createJsonRpcBatch({
      urls,
      batchSize,
      retryCount,
      retryDelayMs,
      timeoutMs,
      onFetchRequest: parameters.onFetchRequest,
    }),
  );
  return client;
}

/**
 * The hand-built batch path of each client made by createChainClient, for headers (see jsonRpcBatch.ts).
 * A client made elsewhere (a test's custom transport, the backfill's capped head) has none and asks
 * viem for each header.
 */
const headerBatches = new WeakMap<ChainClient, JsonRpcBatch>();

export type GetHeadReturnType = BlockHeader;

/** The latest block (number and hash: a reorg event names the new tip). */
export async function getHead(client: ChainClient): Promise<GetHeadReturnType> {
  const block = await rpc("latest block", () =>
    client.request({ method: "eth_getBlockByNumber", params: ["latest", false] }),
  );
  if (!block) throw new RpcError("the node returned no latest block");
  return toHeader(block as RpcBlock);
}

export interface GetHeadersByNumberParameters {
  readonly numbers: readonly number[];
}

/** Headers by number, `null` where the chain has no such block, in JSON-RPC batches of `batchSize`. */
export async function getHeadersByNumber(
  client: ChainClient,
  { numbers }: GetHeadersByNumberParameters,
): Promise<(BlockHeader | null)[]> {
  const batch = headerBatches.get(client);
  const blocks = await rpc("block headers", () =>
    batch
      ? batch(numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [numberToHex(n), false] })))
      : Promise.all(
          numbers.map((n) =>
            client.request({ method: "eth_getBlockByNumber", params: [numberToHex(n), false] }),
          ),
        ),
  );
  return blocks.map((block, i) => {
    if (!block) return null;
    const header = toHeader(block as RpcBlock);
    if (header.number !== numbers[i]) {
      throw new RpcError(`asked for block ${numbers[i]}, the node returned ${header.number}`);
    }
    return header;
  });
}

export interface GetHeadersParameters {
  readonly fromBlock: number;
  readonly toBlock: number;
}

/** Every header in [fromBlock, toBlock], in order; a missing block means the node is behind: RpcError. */
export async function getHeaders(
  client: ChainClient,
  { fromBlock, toBlock }: GetHeadersParameters,
): Promise<BlockHeader[]> {
  const numbers = Array.from({ length: toBlock - fromBlock + 1 }, (_, i) => fromBlock + i);
  const headers = await getHeadersByNumber(client, { numbers });
  return headers.map((header, i) => {
    if (!header) throw new RpcError(`block ${numbers[i]} is not available on the node`);
    return header;
  });
}

export interface GetChainLogsParameters {
  readonly addresses: readonly Hex[];
  /** topic0 alternatives (event selectors). */
  readonly eventTopics: readonly Hex[];
  readonly fromBlock: number;
  readonly toBlock: number;
  /** Called each time a refused range is split in two. */
  readonly onSplit?: (range: { fromBlock: number; toBlock: number }) => void;
}

/**
 * eth_getLogs over [fromBlock, toBlock]. When the node refuses the range (too
 * many results, range too wide, 413, -32005), the range is split in halves and
 * each half fetched in turn, so the logs come back in chain order.
 */
export async function getChainLogs(
  client: ChainClient,
  parameters: GetChainLogsParameters,
): Promise<ChainLog[]> {
  const { fromBlock, toBlock } = parameters;
  let lastError: unknown;
  for (let attempt = 0; attempt < LOG_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    try {
      return await requestLogs(client, parameters);
    } catch (error) {
      if (!isRangeRefusal(error)) {
        lastError = error;
        continue;
      }
      if (fromBlock >= toBlock)
        throw toRpcError(error, `eth_getLogs refused even the single block ${fromBlock}`);
      parameters.onSplit?.({ fromBlock, toBlock });
      const mid = fromBlock + Math.floor((toBlock - fromBlock) / 2);
      const left = await getChainLogs(client, { ...parameters, fromBlock, toBlock: mid });
      const right = await getChainLogs(client, { ...parameters, fromBlock: mid + 1, toBlock });
      return [...left, ...right];
    }
  }
  throw toRpcError(lastError, "eth_getLogs failed");
}

/** Attempts per range for failures other than a refusal (viem's own retry is off for getLogs, see below). */
const LOG_ATTEMPTS = 3;

async function requestLogs(client: ChainClient, parameters: GetChainLogsParameters): Promise<ChainLog[]> {
  const logs = await client.request(
    {
      method: "eth_getLogs",
      params: [
        {
          address: [...parameters.addresses],
          topics: [[...parameters.eventTopics]],
          fromBlock: numberToHex(parameters.fromBlock),
          toBlock: numberToHex(parameters.toBlock),
        },
      ],
    },
    // A refused range is refused again: viem must not retry it, we split it instead.
    { retryCount: 0 },
  );
  return (logs as RpcLog[]).filter((log) => !log.removed).map(toChainLog);
}

const REFUSAL_MESSAGE =
  /more than \d+ results|too many (results|logs|blocks)|range (is )?too (large|wide|big)|block range|max(imum)? (block )?range|response size|query returned|query timeout/i;
/** Rate limits share code -32005 with range refusals; splitting would only send more requests. */
const RATE_LIMIT_MESSAGE = /rate|per second|too many requests|throttl/i;

/**
 * Providers refuse wide log queries in many dialects; the JSON-RPC code or HTTP
 * status is checked first and the node's message only as a last resort.
 */
export function isRangeRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const matches = (e: unknown): boolean => {
    if (!e || typeof e !== "object") return false;
    const { code, status, details, message } = e as {
      code?: unknown;
      status?: unknown;
      details?: unknown;
      message?: unknown;
    };
    const text = `${typeof details === "string" ? details : ""} ${typeof message === "string" ? message : ""}`;
    if (RATE_LIMIT_MESSAGE.test(text) || status === 429) return false;
    return code === -32005 || status === 413 || REFUSAL_MESSAGE.test(text);
  };
  if (error instanceof BaseError) return Boolean(error.walk(matches));
  return matches(error);
}

/**
 * Wrap an RPC failure as RpcError with viem's short message only: the full
 * message lists the request URL, which may carry a provider API key.
 */
export function toRpcError(error: unknown, what: string): RpcError {
  if (error instanceof RpcError) return error;
  const short = error instanceof BaseError ? error.shortMessage : String((error as Error)?.message ?? error);
  const details = error instanceof BaseError && error.details ? ` (${error.details.slice(0, 300)})` : "";
  return new RpcError(`${what}: ${short}${details}`, { cause: error });
}

async function rpc<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toRpcError(error, `reading ${what} failed`);
  }
}

function toHeader(block: RpcBlock): BlockHeader {
  if (!block.number || !block.hash)
    throw new RpcError("the node returned a pending block where a mined one was expected");
  return {
    number: hexToNumber(block.number),
    hash: block.hash.toLowerCase() as Hex,
    parentHash: block.parentHash.toLowerCase() as Hex,
    timestamp: hexToNumber(block.timestamp),
    gasUsed: hexToBigInt(block.gasUsed).toString(),
    gasLimit: hexToBigInt(block.gasLimit).toString(),
    baseFeePerGas: block.baseFeePerGas ? hexToBigInt(block.baseFeePerGas).toString() : null,
    txCount: block.transactions.length,
    miner: (block.miner ?? "0x0000000000000000000000000000000000000000").toLowerCase() as Hex,
  };
}

function toChainLog(log: RpcLog): ChainLog {
  if (
    log.blockNumber === null ||
    log.blockHash === null ||
    log.transactionHash === null ||
    log.logIndex === null
  ) {
    throw new RpcError("eth_getLogs returned a pending log");
  }
  return {
    address: log.address.toLowerCase() as Hex,
    topics: log.topics.map((t) => t.toLowerCase() as Hex),
    data: log.data.toLowerCase() as Hex,
    blockNumber: hexToNumber(log.blockNumber),
    blockHash: log.blockHash.toLowerCase() as Hex,
    transactionHash: log.transactionHash.toLowerCase() as Hex,
    logIndex: hexToNumber(log.logIndex),
  };
}
