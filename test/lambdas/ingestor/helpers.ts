import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { type Hex, keccak256, numberToHex, toHex } from "viem";
import { type IngestorConfig, loadIngestorConfig } from "../../../lambdas/ingestor/config.js";
import {
  assertContiguous,
  type Cursor,
  type CursorStore,
  cursorKey,
} from "../../../lambdas/ingestor/cursorStore.js";
import type {
  IngestorLogger,
  IngestorMetricName,
  MetricsSink,
} from "../../../lambdas/ingestor/observability.js";
import { CursorConflictError, LeaseHeldError } from "../../../lambdas/shared/errors.js";
import type { Chain, PipelineEvent } from "../../../lambdas/shared/events.js";

export const INBOX = "0x00000000000000000000000000000000000a11ce" as const;

/** A config as the handler would load it, with local RPC URLs. */
export function testConfig(env: Record<string, string> = {}): IngestorConfig {
  return loadIngestorConfig({
    QUEUE_URL: "http://127.0.0.1:9324/000000000000/tidemark-events.fifo",
    STATE_TABLE: "tidemark-state",
    L1_RPC_URLS: "http://127.0.0.1:8545",
    L2_RPC_URLS: "http://127.0.0.1:8546",
    INBOX_ADDRESS: INBOX,
    ...env,
  });
}

/** In-memory CursorStore with the same conditions as the DynamoDB one. */
export function createMemoryCursorStore(options: { leaseSeconds?: number; recentHashes?: number } = {}) {
  const leaseMs = (options.leaseSeconds ?? 60) * 1000;
  const window = options.recentHashes ?? 256;
  const items = new Map<string, Cursor>();
  const get = (chain: Chain): Cursor =>
    items.get(cursorKey(chain)) ?? { next: undefined, recent: [], lease: undefined };
  const put = (chain: Chain, cursor: Cursor) => {
    items.set(cursorKey(chain), cursor);
    return cursor;
  };
  const take = (chain: Chain, owner: string, nowMs: number, mayTake: (c: Cursor) => boolean) => {
    const current = get(chain);
    if (!mayTake(current)) {
      throw new LeaseHeldError(`${cursorKey(chain)} is leased to ${current.lease?.owner}`, {
        context: { chain, holder: current.lease?.owner },
      });
    }
    return put(chain, { ...current, lease: { owner, expiresAt: nowMs + leaseMs } });
  };
  const store: CursorStore & { peek(chain: Chain): Cursor; seed(chain: Chain, cursor: Cursor): void } = {
    read: async (chain) => get(chain),
    acquireLease: async (chain, owner, nowMs) =>
      take(chain, owner, nowMs, (c) => !c.lease || c.lease.expiresAt < nowMs || c.lease.owner === owner),
    renewLease: async (chain, owner, nowMs) => take(chain, owner, nowMs, (c) => c.lease?.owner === owner),
    advance: async (chain, owner, { expectedNext, next, recent, pending = [], highWater }, nowMs) => {
      const current = get(chain);
      if (current.lease?.owner !== owner || current.next !== expectedNext) {
        throw new CursorConflictError(`${cursorKey(chain)} moved`, { context: { chain } });
      }
      const kept = recent.slice(-window);
      assertContiguous(kept, next);
      return put(chain, {
        next,
        recent: kept,
        lease: { owner, expiresAt: nowMs + leaseMs },
        ...(pending.length > 0 ? { pending } : {}),
        ...(current.reorgSeq === undefined ? {} : { reorgSeq: current.reorgSeq }),
        highWater: Math.max(highWater ?? -1, next - 1),
      });
    },
    markPending: async (chain, owner, { expectedNext, pending, reorgSeq }) => {
      const current = get(chain);
      if (current.lease?.owner !== owner || current.next !== expectedNext) {
        throw new CursorConflictError(`${cursorKey(chain)} moved`, { context: { chain } });
      }
      if (reorgSeq !== undefined && reorgSeq <= (current.reorgSeq ?? 0)) {
        throw new CursorConflictError(`${cursorKey(chain)} reorg seq ${reorgSeq} is taken`, {
          context: { chain },
        });
      }
      return put(chain, { ...current, pending, ...(reorgSeq === undefined ? {} : { reorgSeq }) });
    },
    release: async (chain, owner) => {
      const current = get(chain);
      if (current.lease?.owner === owner) put(chain, { ...current, lease: undefined });
    },
    peek: get,
    seed: (chain, cursor) => {
      put(chain, cursor);
    },
  };
  return store;
}

export function collectingMetrics() {
  const recorded: { name: IngestorMetricName; value: number; chain?: Chain }[] = [];
  const sink: MetricsSink = { record: (name, value, chain) => recorded.push({ name, value, chain }) };
  const total = (name: IngestorMetricName, chain?: Chain) =>
    recorded
      .filter((m) => m.name === name && (chain === undefined || m.chain === chain))
      .reduce((a, m) => a + m.value, 0);
  return { sink, recorded, total };
}

export function collectingLogger() {
  const lines: { level: string; message: string; extra: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...extra: unknown[]) => {
      lines.push({ level, message, extra });
    };
  const logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  } as IngestorLogger;
  return { logger, lines };
}

/**
 * An SQS mock that accepts SendMessageBatch (unless `refuse` says otherwise) and
 * records every attempt and every accepted entry, in order.
 */
export function capturingSqs(
  refuse: (entry: SendMessageBatchRequestEntry, call: number) => boolean = () => false,
) {
  const sqs = new SQSClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const mock = mockClient(sqs);
  const calls: SendMessageBatchRequestEntry[][] = [];
  const accepted: SendMessageBatchRequestEntry[] = [];
  mock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
    const call = calls.length;
    calls.push(input.Entries);
    const Failed = [];
    const Successful = [];
    for (const entry of input.Entries) {
      if (refuse(entry, call)) {
        Failed.push({ Id: entry.Id, Code: "InternalError", SenderFault: false, Message: "try again" });
      } else {
        accepted.push(entry);
        Successful.push({ Id: entry.Id, MessageId: `m-${accepted.length}`, MD5OfMessageBody: "x" });
      }
    }
    return { Failed, Successful };
  });
  const events = () => accepted.map((e) => JSON.parse(e.MessageBody as string) as PipelineEvent);
  return { sqs, mock, calls, accepted, events };
}

export interface FakeBlock {
  readonly number: number;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly timestamp: number;
  /** Absent: an empty bloom (no logs). */
  readonly logsBloom?: Hex;
}

/** A deterministic chain of blocks; `fork` names the branch so a fork's hashes differ from the original's. */
export function fakeChain(length: number, fork = "main", from: FakeBlock[] = []): FakeBlock[] {
  const blocks = [...from];
  for (let n = blocks.length; n < length; n++) {
    const parentHash = blocks[n - 1]?.hash ?? (`0x${"00".repeat(32)}` as Hex);
    blocks.push({
      number: n,
      hash: keccak256(toHex(`${fork}:${n}:${parentHash}`)),
      parentHash,
      timestamp: 1_700_000_000 + 12 * n,
    });
  }
  return blocks;
}

/** The JSON-RPC block object a node returns for a fake block (no transactions). */
export function rpcBlock(block: FakeBlock) {
  return {
    number: numberToHex(block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: numberToHex(block.timestamp),
    gasUsed: "0x5208",
    gasLimit: "0x1c9c380",
    baseFeePerGas: "0x3b9aca00",
    miner: "0x00000000000000000000000000000000000000c0",
    transactions: ["0x01", "0x02"],
    logsBloom: block.logsBloom ?? `0x${"00".repeat(256)}`,
  };
}

/** JSON-RPC to a local node without viem's typing (anvil_* / evm_* methods). */
export async function rawRpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
