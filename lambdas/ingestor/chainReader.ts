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
import { redactSecrets } from "../shared/redact.js";
import { type BackoffPolicy, withRetry } from "../shared/retry.js";
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
  /** The block's 2048-bit log bloom: proves a log answer complete (logBloom.ts). Never published. */
  readonly logsBloom?: Hex;
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

/**
 * Everything a chain read needs, as one typed value: viem's client for single calls (head, logs), the
 * batch path for the one read that comes in thousands (headers), and the retry policy every reader
 * applies. Built by `createChainClient` (HTTP URLs) or `createTransportChainClient` (a viem transport:
 * tests, in-process nodes); a caller that narrows the chain (a backfill's end) passes `toBlock` to the
 * ingestor instead of wrapping this value, so no wrapper can drop the batch path.
 */
export interface ChainClient {
  /** viem's client. Its own retries are off: the readers retry with `retry`. */
  readonly client: Client<Transport>;
  /** eth_getBlockByNumber calls as JSON-RPC batch bodies (jsonRpcBatch.ts), retried per body. */
  readonly headers: JsonRpcBatch;
  /** How the readers retry a read that failed on every URL (full jitter, lambdas/shared/retry.ts). */
  readonly retry: ChainReadRetry;
  /**
   * One client per provider URL, without retries of their own, in the configured order. A poll reads its
   * head, headers and logs from one of them (a range must not mix nodes); absent, the client is one provider.
   */
  readonly providers?: readonly ChainClient[];
}

/** The providers a poll may read from, in order. */
export function providersOf(chain: ChainClient): readonly ChainClient[] {
  return chain.providers && chain.providers.length > 0 ? chain.providers : [chain];
}

export interface ChainReadRetry extends BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
}

export interface CreateChainClientParameters {
  readonly urls: readonly string[];
  /** eth_getBlockByNumber calls per JSON-RPC batch (one HTTP request each). @default 100 */
  readonly batchSize?: number;
  /** Retries of a failed read over the whole URL list. @default 3 */
  readonly retryCount?: number;
  /** Ceiling of the first retry's full-jitter delay; it doubles per retry. @default 250 */
  readonly retryDelayMs?: number;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number;
  /** Observe each HTTP request (tests count them). */
  readonly onFetchRequest?: HttpTransportConfig["onFetchRequest"];
  /** viem's cap on a response body; a log answer over it splits its range. @default viem's 10 MiB */
  readonly maxResponseBodySize?: number;
}

/**
 * The production chain client: viem's `fallback([http(url)...])` for single calls (the next URL is
 * tried when one fails) and hand-built batch bodies over the same URLs for headers.
 */
export function createChainClient(parameters: CreateChainClientParameters): ChainClient {
  return {
    ...createUrlListClient(parameters),
    // Each provider alone, no retries: the poll moves to the next one instead (ingestChain.ts).
    providers: parameters.urls.map((url) =>
      createUrlListClient({ ...parameters, urls: [url], retryCount: 0 }),
    ),
  };
}

function createUrlListClient(parameters: CreateChainClientParameters): ChainClient {
  const { urls, batchSize = 100, retryCount = 3, retryDelayMs = 250, timeoutMs = 10_000 } = parameters;
  const transports = urls.map((url) =>
    http(url, {
      batch: { batchSize },
      timeout: timeoutMs,
      onFetchRequest: parameters.onFetchRequest,
      ...(parameters.maxResponseBodySize ? { maxResponseBodySize: parameters.maxResponseBodySize } : {}),
    }),
  );
  return {
    // One round over the URLs per call; the rounds and their backoff are the readers' (`retry`).
    client: createClient({ transport: fallback(transports, { retryCount: 0 }) }),
    headers: createJsonRpcBatch({
      urls,
      batchSize,
      retryCount,
      retryDelayMs,
      timeoutMs,
      onFetchRequest: parameters.onFetchRequest,
    }),
    retry: retryPolicy(retryCount, retryDelayMs),
  };
}

export interface CreateTransportChainClientParameters {
  /** @default 0: a test's node answers or fails on purpose */
  readonly retryCount?: number;
  /** @default 250 */
  readonly retryDelayMs?: number;
}

/**
 * A chain client over any viem transport (a test's `custom` node, an in-process chain). Its header
 * path sends one request per header through the transport, which batches them if it can.
 */
export function createTransportChainClient(
  transport: Transport,
  parameters: CreateTransportChainClientParameters = {},
): ChainClient {
  const { retryCount = 0, retryDelayMs = 250 } = parameters;
  const client = createClient({ transport });
  const retry = retryPolicy(retryCount, retryDelayMs);
  return {
    client,
    headers: (calls) =>
      Promise.all(
        calls.map((call) =>
          withRetry(
            () => client.request({ method: call.method, params: [...call.params] } as never, NO_VIEM_RETRY),
            { ...retry, retryable: () => true },
          ),
        ),
      ),
    retry,
  };
}

/** Several providers as one client: reads go to the first, a poll tries each in turn (tests, local runs). */
export function combineProviders(providers: readonly ChainClient[]): ChainClient {
  const [first] = providers;
  if (!first) throw new Error("combineProviders needs at least one provider");
  return { ...first, providers };
}

function retryPolicy(retryCount: number, retryDelayMs: number): ChainReadRetry {
  return { attempts: retryCount + 1, baseDelayMs: retryDelayMs, maxDelayMs: retryDelayMs * 2 ** retryCount };
}

/** Per-request option: viem must not retry on its own; every reader's retries are `ChainClient.retry`. */
const NO_VIEM_RETRY = { retryCount: 0 } as const;

export type GetHeadReturnType = BlockHeader;

/** The latest block (number and hash: a reorg event names the new tip). */
export async function getHead(chain: ChainClient): Promise<GetHeadReturnType> {
  const block = await rpc("latest block", () =>
    withRetry(
      () =>
        chain.client.request({ method: "eth_getBlockByNumber", params: ["latest", false] }, NO_VIEM_RETRY),
      { ...chain.retry, retryable: () => true },
    ),
  );
  if (!block) throw new RpcError("the node returned no latest block");
  return toHeader(block as RpcBlock);
}

export interface GetHeadersByNumberParameters {
  readonly numbers: readonly number[];
}

/** Headers by number, `null` where the chain has no such block, through the client's batch path. */
export async function getHeadersByNumber(
  chain: ChainClient,
  { numbers }: GetHeadersByNumberParameters,
): Promise<(BlockHeader | null)[]> {
  const blocks = await rpc("block headers", () =>
    chain.headers(numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [numberToHex(n), false] }))),
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
  chain: ChainClient,
  { fromBlock, toBlock }: GetHeadersParameters,
): Promise<BlockHeader[]> {
  const numbers = Array.from({ length: toBlock - fromBlock + 1 }, (_, i) => fromBlock + i);
  const headers = await getHeadersByNumber(chain, { numbers });
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
  /**
   * Called for a single block whose logs do not fit in one answer, with the reason; its logs are then
   * left out (the caller records the block as rejected). Absent, such a block is an RpcError.
   */
  readonly onOversizedBlock?: (blockNumber: number, reason: string) => void;
}

/**
 * eth_getLogs over [fromBlock, toBlock]. When the node refuses the range (too
 * many results, range too wide, 413, -32005), the range is split in halves and
 * each half fetched in turn, so the logs come back in chain order. Other failures
 * are retried with the client's policy.
 */
export async function getChainLogs(
  chain: ChainClient,
  parameters: GetChainLogsParameters,
): Promise<ChainLog[]> {
  const { fromBlock, toBlock } = parameters;
  try {
    // A refused range is refused again: it is split, never retried.
    return await withRetry(() => requestLogs(chain, parameters), {
      ...chain.retry,
      retryable: (error) => !isRangeRefusal(error),
    });
  } catch (error) {
    if (!isRangeRefusal(error)) throw toRpcError(error, "eth_getLogs failed");
    if (fromBlock >= toBlock) {
      const refused = toRpcError(error, `eth_getLogs refused even the single block ${fromBlock}`);
      if (!parameters.onOversizedBlock) throw refused;
      parameters.onOversizedBlock(fromBlock, refused.message);
      return [];
    }
    parameters.onSplit?.({ fromBlock, toBlock });
    const mid = fromBlock + Math.floor((toBlock - fromBlock) / 2);
    const left = await getChainLogs(chain, { ...parameters, fromBlock, toBlock: mid });
    const right = await getChainLogs(chain, { ...parameters, fromBlock: mid + 1, toBlock });
    return [...left, ...right];
  }
}

async function requestLogs(chain: ChainClient, parameters: GetChainLogsParameters): Promise<ChainLog[]> {
  return requestLogFilter(chain, parameters, {
    fromBlock: numberToHex(parameters.fromBlock),
    toBlock: numberToHex(parameters.toBlock),
  });
}

async function requestLogFilter(
  chain: ChainClient,
  parameters: Pick<GetChainLogsParameters, "addresses" | "eventTopics">,
  where: { fromBlock: Hex; toBlock: Hex } | { blockHash: Hex },
): Promise<ChainLog[]> {
  const logs = await chain.client.request(
    {
      method: "eth_getLogs",
      params: [{ address: [...parameters.addresses], topics: [[...parameters.eventTopics]], ...where }],
    },
    NO_VIEM_RETRY,
  );
  return (logs as RpcLog[]).filter((log) => !log.removed).map(toChainLog);
}

export interface GetBlockLogsParameters extends Pick<GetChainLogsParameters, "addresses" | "eventTopics"> {
  readonly blockHash: Hex;
}

/**
 * eth_getLogs for one block by its hash (EIP-234): a node that does not have the block answers an error,
 * never a silent `[]`, so this settles a block whose bloom says it may hold logs the range answer lacked.
 */
export async function getBlockLogs(
  chain: ChainClient,
  parameters: GetBlockLogsParameters,
): Promise<ChainLog[]> {
  return rpc("block logs", () =>
    withRetry(() => requestLogFilter(chain, parameters, { blockHash: parameters.blockHash }), {
      ...chain.retry,
      retryable: () => true,
    }),
  );
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
    // viem refuses an answer over its response limit (10 MiB): a narrower range may fit.
    if ((e as { name?: unknown }).name === "ResponseBodyTooLargeError") return true;
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
  // A provider's error body may echo the URL, API key included: redacted before anyone logs it.
  return new RpcError(redactSecrets(`${what}: ${short}${details}`), { cause: error });
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
  const timestamp = hexToBigInt(block.timestamp);
  return {
    number: hexToNumber(block.number),
    hash: block.hash.toLowerCase() as Hex,
    parentHash: block.parentHash.toLowerCase() as Hex,
    // An absurd value is kept (as -1 when it overflows) for the poll to judge: another provider may differ.
    timestamp: timestamp > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(timestamp),
    gasUsed: hexToBigInt(block.gasUsed).toString(),
    gasLimit: hexToBigInt(block.gasLimit).toString(),
    baseFeePerGas: block.baseFeePerGas ? hexToBigInt(block.baseFeePerGas).toString() : null,
    txCount: block.transactions.length,
    miner: (block.miner ?? "0x0000000000000000000000000000000000000000").toLowerCase() as Hex,
    ...(block.logsBloom ? { logsBloom: block.logsBloom.toLowerCase() as Hex } : {}),
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
