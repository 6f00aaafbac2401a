import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import {
  createPublicClient,
  decodeEventLog,
  type Hex,
  http,
  numberToHex,
  type RpcBlock,
  type RpcLog,
} from "viem";
import {
  type ChainClient,
  createChainClient,
  getChainLogs,
  getHeadersByNumber,
} from "../lambdas/ingestor/chainReader.js";
import type { IngestorConfig } from "../lambdas/ingestor/config.js";
import { decodeInboxLogs, inboxEventTopics } from "../lambdas/ingestor/decodeInbox.js";
import { createIngestor } from "../lambdas/ingestor/ingestor.js";
import { DEFAULT_BUNDLE_BYTES } from "../lambdas/ingestor/publishEntries.js";
import { DEFAULT_PUBLISH_LANES } from "../lambdas/ingestor/publisher.js";
import { eventBodiesOf } from "../lambdas/shared/eventBundle.js";
import { inboxAbi } from "../lambdas/shared/inboxAbi.js";
import { ServiceName } from "../lambdas/shared/serviceNames.js";
import { startDynamoDbLocal } from "../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../scripts/local/localAwsConfig.js";
import { provisionQueues, provisionTables } from "../scripts/local/provision.js";
import { startSqsServerProcess } from "../scripts/local/sqsServer.js";
import {
  type BackfillRangeReturnType,
  backfillRange,
  DEFAULT_BACKFILL_BLOCKS_PER_RANGE,
} from "../scripts/ops/backfillRange.js";
import { type BenchChain, buildBenchChain } from "./benchChain.js";
import { silentLogger } from "./benchContext.js";
import { type CountingRpcProxy, startCountingRpcProxy } from "./countingRpcProxy.js";
import { type PonderOutcome, runPonder } from "./ponderRunner.js";
import type { Goal } from "./processorBench.js";
import {
  cpuSecondsSince,
  type Figure,
  figure,
  formatNumber,
  ratio,
  renderTable,
  showFigure,
} from "./stats.js";

export interface IngestBenchOptions {
  readonly blocks: number;
  readonly runs: number;
  /** Blocks the naive per-block loop reads (it is slow; its rates are per block all the same). */
  readonly naiveBlocks: number;
  readonly realtimeBlocks: number;
  /** false: Ponder is not run (recorded as skipped with this reason). */
  readonly ponder: boolean | string;
  readonly log: (line: string) => void;
}

export type IngestVariant =
  | "tidemark-backfill"
  | "tidemark-realtime"
  | "tidemark-fetch-decode"
  | "ponder"
  | "naive"
  | "ranged-reference"
  | "anvil-ceiling";

/** One run of one variant (Ponder's runs too: ponderRunner.ts). */
export interface IngestSample {
  readonly blocks: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly httpRequests: number;
  readonly rpcCalls: number;
  /** Accounting: what the proxy answered, what the variant produced. */
  readonly httpResponses: number;
  readonly produced: {
    readonly headers: number;
    readonly inboxEvents: number;
    /** Events in the queue after the run (a bundle counts its inner events). */
    readonly queued?: number;
    /** Messages they came in. */
    readonly messages?: number;
  };
  readonly byMethod: Readonly<Record<string, number>>;
}

export interface IngestCell {
  readonly variant: IngestVariant;
  readonly status: "ok" | "unavailable";
  /** Why the variant did not run (Ponder on this machine), verbatim. */
  readonly reason?: string;
  readonly blocks?: number;
  readonly blocksPerSecond?: Figure;
  /** For anvil's ceiling: eth_getBlockByNumber calls served per second. */
  readonly callsPerSecond?: Figure;
  readonly httpPer1000Blocks?: Figure;
  readonly rpcCallsPer1000Blocks?: Figure;
  readonly cpuSeconds?: Figure;
  readonly samples?: readonly IngestSample[];
  readonly notes?: string;
}

export interface IngestBenchResult {
  readonly chain: { readonly blocks: number; readonly eventBlocks: number; readonly cachedState: boolean };
  readonly cells: readonly IngestCell[];
  readonly goals: readonly Goal[];
  readonly table: string;
}

const RANGE = 1000;
const BATCH = 100;
/** Ranges of the Tidemark backfill: `tidemark backfill`'s default (the widest the cursor item holds). */
export const BACKFILL_RANGE = DEFAULT_BACKFILL_BLOCKS_PER_RANGE;

/**
 * Part 2: ingestion against one anvil holding `blocks` blocks (one in ten with an inbox event),
 * every variant behind the same counting proxy, the order rotated per run.
 */
export async function runIngestBench(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const { log } = options;
  const t = Date.now();
  const chain = await buildBenchChain(options.blocks);
  log(
    `  ingest: chain of ${chain.head} blocks (${chain.eventBlocks} with events) ${chain.cached ? "loaded from cache" : "mined"} in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  const built = { blocks: chain.head, eventBlocks: chain.eventBlocks };
  const proxy = await startCountingRpcProxy(chain.url);
  const ddbLocal = await startDynamoDbLocal();
  // SQS runs elsewhere in production: its server gets its own process here, so the publishing CPU
  // measured is the ingest process's own (Ponder's PGlite, by contrast, is embedded in its process).
  const sqsServer = await startSqsServerProcess();
  const ddb = new DynamoDBClient(localAwsConfig(ddbLocal.endpoint));
  const sqs = new SQSClient(localAwsConfig(sqsServer.endpoint));
  const samples = new Map<IngestVariant, IngestSample[]>();
  const add = (v: IngestVariant, s: IngestSample) => samples.set(v, [...(samples.get(v) ?? []), s]);
  let ponder: PonderOutcome | undefined;
  try {
    // Every reader sees the chain as built (the realtime variant grows a chain of its own).
    const fixed: BenchChain = Object.create(chain, {
      head: { value: built.blocks },
      eventBlocks: { value: built.eventBlocks },
    }) as BenchChain;
    const env = { chain, proxy, ddb, sqs };
    const rotating: [IngestVariant, (run: number) => Promise<IngestSample>][] = [
      ["anvil-ceiling", () => anvilCeiling(fixed)],
      ["ranged-reference", () => measured(proxy, () => rangedReference(proxy.url, fixed))],
      ["tidemark-fetch-decode", () => measured(proxy, () => tidemarkFetchDecode(proxy.url, fixed))],
      ["tidemark-backfill", (run) => measured(proxy, () => tidemarkBackfill({ ...env, chain: fixed }, run))],
      ["naive", () => measured(proxy, () => naiveLoop(proxy.url, fixed, options.naiveBlocks))],
    ];
    for (let run = 0; run < options.runs; run++) {
      // Rotate the order so no variant always runs first (cold caches) or last (warm ones).
      const rotated = [
        ...rotating.slice(run % rotating.length),
        ...rotating.slice(0, run % rotating.length),
        // Last: it starts and mines a chain of its own.
        [
          "tidemark-realtime",
          (r: number) => tidemarkRealtime(env, r, options.realtimeBlocks, options.blocks),
        ],
      ] as [IngestVariant, (run: number) => Promise<IngestSample>][];
      for (const [variant, measure] of rotated) {
        const sample = await measure(run);
        add(variant, sample);
        log(
          `  ingest run ${run + 1}/${options.runs} ${variant}: ${formatNumber(sample.blocks / sample.seconds)} blocks/s, ${sample.httpRequests} HTTP`,
        );
      }
    }
    if (options.ponder === true) {
      ponder = await runPonder({ rpcUrl: proxy.url, proxy, chain: fixed, runs: options.runs, log });
    } else {
      ponder = {
        status: "unavailable",
        reason: typeof options.ponder === "string" ? options.ponder : "not run",
      };
    }
  } finally {
    ddb.destroy();
    sqs.destroy();
    await proxy.stop();
    await sqsServer.stop();
    await ddbLocal.stop();
    await chain.stop();
  }
  const cells: IngestCell[] = [...samples.entries()].map(([variant, list]) => toCell(variant, list));
  cells.push(
    ponder.status === "ok"
      ? { ...toCell("ponder", ponder.samples), notes: ponder.notes }
      : { variant: "ponder", status: "unavailable", reason: ponder.reason },
  );
  const goals = ingestGoals(cells);
  return {
    chain: { ...built, cachedState: chain.cached },
    cells,
    goals,
    table: renderIngestTable(cells, goals),
  };
}

type Produced = { blocks: number; produced: IngestSample["produced"]; cpuExtra?: number };

/** Runs one variant with the proxy's counters reset and read after; CPU is this process's. */
async function measured(proxy: CountingRpcProxy, run: () => Promise<Produced>): Promise<IngestSample> {
  proxy.reset();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  const counts = proxy.counts();
  return {
    blocks: result.blocks,
    seconds,
    cpuSeconds,
    httpRequests: counts.httpRequests,
    rpcCalls: counts.rpcCalls,
    httpResponses: counts.httpResponses,
    produced: result.produced,
    byMethod: counts.byMethod,
  };
}

async function jsonRpc<T>(url: string, calls: { method: string; params: unknown[] }[]): Promise<T[]> {
  const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: i, ...c }));
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id: number; result?: T; error?: { message: string } }[];
  const byId = new Map(json.map((r) => [r.id, r]));
  return calls.map((c, i) => {
    const r = byId.get(i);
    if (!r || r.error) throw new Error(`${c.method}: ${r?.error?.message ?? "no response"}`);
    return r.result as T;
  });
}

/** Run `count` tasks with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

/** (d) What anvil serves at most: batched eth_getBlockByNumber straight to the node, 16 in flight. */
async function anvilCeiling(chain: BenchChain): Promise<IngestSample> {
  const blocks = chain.head;
  const batches = Math.ceil(blocks / BATCH);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let served = 0;
  await pool(batches, 16, async (b) => {
    const calls = [];
    for (let n = b * BATCH + 1; n <= Math.min(blocks, (b + 1) * BATCH); n++) {
      calls.push({ method: "eth_getBlockByNumber", params: [numberToHex(n), false] });
    }
    const answered = await jsonRpc(chain.url, calls);
    served += answered.length;
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    blocks: served,
    seconds,
    cpuSeconds: cpuSecondsSince(cpu),
    httpRequests: batches,
    rpcCalls: served,
    httpResponses: batches,
    produced: { headers: served, inboxEvents: 0 },
    byMethod: { eth_getBlockByNumber: served },
  };
}

/** The reference: ranges of 1,000 blocks, headers in JSON-RPC batches of 100, one eth_getLogs per range, decoded with viem. */
async function rangedReference(url: string, chain: BenchChain): Promise<Produced> {
  const ranges = Math.ceil(chain.head / RANGE);
  let headers = 0;
  let inboxEvents = 0;
  await pool(ranges, 4, async (r) => {
    const from = r * RANGE + 1;
    const to = Math.min(chain.head, (r + 1) * RANGE);
    const batches: Promise<RpcBlock[]>[] = [];
    for (let start = from; start <= to; start += BATCH) {
      const calls = [];
      for (let n = start; n <= Math.min(to, start + BATCH - 1); n++) {
        calls.push({ method: "eth_getBlockByNumber", params: [numberToHex(n), false] });
      }
      batches.push(jsonRpc<RpcBlock>(url, calls));
    }
    const [logs] = await jsonRpc<RpcLog[]>(url, [
      {
        method: "eth_getLogs",
        params: [{ address: chain.inboxAddress, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
      },
    ]);
    for (const block of (await Promise.all(batches)).flat()) {
      if (block.hash && Number(block.number) > 0) headers++;
    }
    for (const log of logs ?? []) {
      decodeEventLog({ abi: inboxAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      inboxEvents++;
    }
  });
  return { blocks: chain.head, produced: { headers, inboxEvents } };
}

/** Tidemark's own chain reads and decoding (chainReader + decodeInbox), ranged as the backfill is, without publishing. */
async function tidemarkFetchDecode(url: string, chain: BenchChain): Promise<Produced> {
  const client = createChainClient({ urls: [url] });
  let headers = 0;
  let inboxEvents = 0;
  // The backfill's shape: ranges of MAX_BLOCKS_PER_RANGE, headers batched by 100.
  for (let from = 1; from <= chain.head; from += BACKFILL_RANGE) {
    const to = Math.min(chain.head, from + BACKFILL_RANGE - 1);
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const [got, logs] = await Promise.all([
      getHeadersByNumber(client, { numbers }),
      getChainLogs(client, {
        addresses: [chain.inboxAddress],
        eventTopics: inboxEventTopics,
        fromBlock: from,
        toBlock: to,
      }),
    ]);
    headers += got.filter((h) => h !== null).length;
    const decoded = decodeInboxLogs({
      logs,
      blockTimestamps: new Map(got.flatMap((h) => (h ? [[h.number, h.timestamp] as const] : []))),
    });
    inboxEvents += decoded.events.length;
  }
  return { blocks: chain.head, produced: { headers, inboxEvents } };
}

interface IngestEnv {
  readonly chain: BenchChain;
  readonly proxy: CountingRpcProxy;
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
}

function ingestorConfig(
  queueUrl: string,
  stateTable: string,
  chain: BenchChain,
  pollIntervalMs: number,
): IngestorConfig {
  return {
    queueUrl,
    dlqUrl: undefined,
    stateTable,
    rpc: { kind: "urls", urls: { l1: [], l2: [] } },
    inboxAddress: chain.inboxAddress,
    inboxWrapperAddress: undefined,
    startBlock: { l1: 1, l2: 1 },
    partitions: 16,
    publishLanes: DEFAULT_PUBLISH_LANES,
    publishBundleBytes: DEFAULT_BUNDLE_BYTES,
    maxBlocksPerRange: BACKFILL_RANGE,
    pollIntervalMs,
    timeReserveMs: 0,
    leaseSeconds: 60,
    recentHashes: 256,
    maxReorgDepth: 4_096,
    confirmations: 0,
    chains: ["l1"],
    // The bench chain is Pacaya-only (INBOX_ADDRESS, no network preset), where fees are never read.
    readFees: false,
    readPreconf: false,
  };
}

async function freshQueue(env: IngestEnv, name: string) {
  const tables = await provisionTables({ ddb: env.ddb, names: { stateTable: `bench-ingest-state-${name}` } });
  const queues = await provisionQueues({
    sqs: env.sqs,
    names: { queue: `bench-ingest-${name}.fifo`, deadLetterQueue: `bench-ingest-${name}-dlq.fifo` },
  });
  await env.sqs.send(new PurgeQueueCommand({ QueueUrl: queues.queueUrl })).catch(() => undefined);
  return { stateTable: tables.stateTable, queueUrl: queues.queueUrl };
}

const queued = async (sqs: SQSClient, queueUrl: string) => {
  const { messages, events } = await queuedEvents(sqs, queueUrl);
  return { queued: events, messages };
};

/**
 * Events in the queue, counted after the timed run (the queue is this run's own): every message
 * received, read as the processor reads it (a bundle counts its inner events), until the queue is empty.
 */
async function queuedEvents(sqs: SQSClient, queueUrl: string): Promise<{ messages: number; events: number }> {
  let messages = 0;
  let events = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      messages++;
      events += eventBodiesOf(m.Body ?? "").length;
    }
    // Deleted: a FIFO queue hands out no more of a group while its earlier messages are in flight.
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  // Invariant: nothing left visible; a message missed by the count would show here.
  return { messages, events: events + Number(Attributes?.ApproximateNumberOfMessages ?? 0) };
}

/** (a) `tidemark backfill --chain l1 --from 1 --to <head>`: every block into the FIFO queue, cursor in DynamoDB. */
async function tidemarkBackfill(env: IngestEnv, run: number): Promise<Produced> {
  const { stateTable, queueUrl } = await freshQueue(env, `backfill-${run}`);
  const result = await benchBackfill({
    rpcUrl: env.proxy.url,
    head: env.chain.head,
    inboxAddress: env.chain.inboxAddress,
    sqs: env.sqs,
    ddb: env.ddb,
    queueUrl,
    stateTable,
  });
  if (!result.complete) throw new Error(`backfill stopped at block ${result.next}`);
  return {
    blocks: result.blocks,
    produced: {
      headers: result.blocks,
      inboxEvents: result.inboxEvents,
      ...(await queued(env.sqs, queueUrl)),
    },
  };
}

export interface BenchBackfillParameters {
  readonly rpcUrl: string;
  readonly head: number;
  readonly inboxAddress: Hex;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly queueUrl: string;
  readonly stateTable: string;
}

/**
 * The measured backfill: the function `tidemark backfill` calls (test/bench/backfillPath.test.ts fails if
 * they diverge), with the command's defaults and what the CLI would build for it: a chain client from
 * the RPC URL, the deployed PARTITIONS (16), and the inbox address.
 */
export function benchBackfill(p: BenchBackfillParameters): Promise<BackfillRangeReturnType> {
  return backfillRange({
    chain: "l1",
    from: 1,
    to: p.head,
    client: createChainClient({ urls: [p.rpcUrl] }),
    sqs: p.sqs,
    ddb: p.ddb,
    queueUrl: p.queueUrl,
    stateTable: p.stateTable,
    inboxAddresses: [p.inboxAddress],
    partitions: 16,
  });
}

/** (a) The realtime path: the chain grows one block at a time and the ingestor polls after each. */
async function tidemarkRealtime(
  env: IngestEnv,
  run: number,
  blocks: number,
  chainBlocks: number,
): Promise<IngestSample> {
  const { stateTable, queueUrl } = await freshQueue(env, `realtime-${run}`);
  // A chain of its own (the same saved state): growing the shared one cannot be undone reliably
  // (after --load-state, anvil's evm_revert drops the blocks but not the block number).
  const chain = await buildBenchChain(chainBlocks);
  const proxy = await startCountingRpcProxy(chain.url);
  try {
    const start = chain.head + 1;
    const client: ChainClient = createChainClient({ urls: [proxy.url] });
    const config = { ...ingestorConfig(queueUrl, stateTable, chain, 0), startBlock: { l1: start, l2: 1 } };
    const ingestor = createIngestor({
      clients: { l1: client },
      ddb: env.ddb,
      sqs: env.sqs,
      config,
      metrics: { record: () => undefined },
      logger: silentLogger(ServiceName.ingestor),
      owner: `bench-rt-${run}`,
    });
    return await measured(proxy, async () => {
      let headers = 0;
      let inboxEvents = 0;
      await chain.extend(blocks, async () => {
        // Mining goes to anvil directly, not through the proxy: only the ingestor's reads are counted.
        const report = await ingestor.runOnce();
        const l1 = report.chains[0];
        if (l1?.status !== "ok") throw new Error(`realtime poll failed: ${JSON.stringify(l1?.error)}`);
        headers += l1.blocksIngested;
        inboxEvents += l1.inboxEventsPublished;
      });
      return {
        blocks: headers,
        produced: { headers, inboxEvents, ...(await queued(env.sqs, queueUrl)) },
      };
    });
  } finally {
    await proxy.stop();
    await chain.stop();
  }
}

/** (c) What a first attempt looks like: eth_getBlockByNumber + eth_getLogs per block, one at a time. */
async function naiveLoop(url: string, chain: BenchChain, blocks: number): Promise<Produced> {
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }), cacheTime: 0 });
  let headers = 0;
  let inboxEvents = 0;
  const last = Math.min(chain.head, blocks);
  for (let n = 1; n <= last; n++) {
    const block = await client.getBlock({ blockNumber: BigInt(n) });
    const logs = await client.getLogs({
      address: chain.inboxAddress,
      fromBlock: BigInt(n),
      toBlock: BigInt(n),
    });
    if (block.hash) headers++;
    for (const log of logs) {
      decodeEventLog({ abi: inboxAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      inboxEvents++;
    }
  }
  return { blocks: last, produced: { headers, inboxEvents } };
}

function toCell(variant: IngestVariant, list: readonly IngestSample[]): IngestCell {
  const per = (f: (s: IngestSample) => number) => figure(list.map(f));
  return {
    variant,
    status: "ok",
    blocks: list[0]?.blocks,
    blocksPerSecond: per((s) => s.blocks / s.seconds),
    ...(variant === "anvil-ceiling" ? { callsPerSecond: per((s) => s.rpcCalls / s.seconds) } : {}),
    httpPer1000Blocks: per((s) => (s.httpRequests / s.blocks) * 1000),
    rpcCallsPer1000Blocks: per((s) => (s.rpcCalls / s.blocks) * 1000),
    cpuSeconds: per((s) => s.cpuSeconds),
    samples: list,
  };
}

const bps = (cells: readonly IngestCell[], v: IngestVariant) =>
  cells.find((c) => c.variant === v && c.status === "ok")?.blocksPerSecond?.median;

function ingestGoals(cells: readonly IngestCell[]): Goal[] {
  const backfill = cells.find((c) => c.variant === "tidemark-backfill");
  const http = backfill?.httpPer1000Blocks?.median;
  const b = bps(cells, "tidemark-backfill");
  const p = bps(cells, "ponder");
  const fd = bps(cells, "tidemark-fetch-decode");
  const ref = bps(cells, "ranged-reference");
  return [
    {
      goal: "≤ 11 HTTP requests per 1,000 blocks (backfill)",
      met: http === undefined ? undefined : http <= 11,
      measured: http === undefined ? "—" : http.toFixed(1),
    },
    {
      goal: "backfill into the queue ≥ 10× Ponder's blocks/s",
      met: b === undefined || p === undefined ? undefined : b >= 10 * p,
      measured:
        p === undefined
          ? "Ponder did not run (see its row)"
          : `${(b ?? 0).toFixed(0)} vs ${p.toFixed(0)} blocks/s = ${ratio(b, p)}`,
    },
    {
      goal: "fetch-and-decode ≥ 50 % of the hand-written ranged fetch",
      met: fd === undefined || ref === undefined ? undefined : fd >= 0.5 * ref,
      measured: fd === undefined || ref === undefined ? "—" : `${((fd / ref) * 100).toFixed(0)} %`,
    },
  ];
}

const LABELS: Record<IngestVariant, string> = {
  "tidemark-backfill": `(a) tidemark backfill → SQS FIFO, ranges of ${BACKFILL_RANGE}, ${DEFAULT_PUBLISH_LANES} lanes`,
  "tidemark-realtime": "(a) Tidemark realtime, 1 block/poll",
  "tidemark-fetch-decode": "(a') Tidemark fetch+decode only",
  ponder: "(b) Ponder 1.x, PGlite, from process start",
  naive: "(c) naive per-block loop",
  "ranged-reference": "    hand-written ranged + batched",
  "anvil-ceiling": "(d) anvil ceiling, batched headers",
};

function renderIngestTable(cells: readonly IngestCell[], goals: readonly Goal[]): string {
  const ref = bps(cells, "ranged-reference");
  const ponder = bps(cells, "ponder");
  const rows: string[][] = [
    ["variant", "blocks", "blocks/s", "vs ranged", "vs Ponder", "HTTP/1k blk", "RPC calls/1k blk", "CPU s"],
  ];
  const order: IngestVariant[] = [
    "tidemark-backfill",
    "tidemark-fetch-decode",
    "tidemark-realtime",
    "ponder",
    "naive",
    "ranged-reference",
    "anvil-ceiling",
  ];
  for (const v of order) {
    const c = cells.find((x) => x.variant === v);
    if (!c) continue;
    if (c.status !== "ok") {
      rows.push([LABELS[v], "—", `not run: ${c.reason ?? "?"}`, "", "", "", "", ""]);
      continue;
    }
    rows.push([
      LABELS[v],
      String(c.blocks ?? "—"),
      v === "anvil-ceiling" ? `${showFigure(c.callsPerSecond)} calls/s` : showFigure(c.blocksPerSecond),
      v === "anvil-ceiling" ? "" : ratio(c.blocksPerSecond?.median, ref),
      v === "anvil-ceiling" ? "" : ratio(c.blocksPerSecond?.median, ponder),
      showFigure(c.httpPer1000Blocks, 1),
      showFigure(c.rpcCallsPer1000Blocks, 0),
      showFigure(c.cpuSeconds, 2),
    ]);
  }
  const goalLines = goals.map(
    (g) => `  ${g.met === undefined ? "?   " : g.met ? "MET " : "MISS"}  ${g.goal}: ${g.measured}`,
  );
  return [
    renderTable("2. Ingest: one anvil, every variant behind the same counting JSON-RPC proxy", rows),
    ...goalLines,
  ].join("\n");
}
