import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type ServedApi, serveApi } from "../lambdas/api/serveLocal.js";
import type { IngestRoutesDependencies } from "../lambdas/ingestApi/createIngestRoutes.js";
import { buildIngestDependencies } from "../lambdas/ingestApi/ingestDependencies.js";
import { resolveIngestSettings } from "../lambdas/ingestApi/ingestSettings.js";
import { drainOutbox } from "../lambdas/ingestApi/outbox.js";
import { loadSigningKey } from "../lambdas/ingestApi/signingKey.js";
import { createDuckDbSink, type DuckDbSink } from "../lambdas/sink/duckdbSink.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../scripts/local/dynamoDbLocal.js";
import { createEventSourcePoller, type EventSourcePoller } from "../scripts/local/eventSourcePoller.js";
import { localAwsConfig } from "../scripts/local/localAwsConfig.js";
import { type ProvisionedQueues, provisionIngestTable, provisionQueues } from "../scripts/local/provision.js";
import { type SqsServer, startSqsServerProcess } from "../scripts/local/sqsServer.js";
import { localObjectStore } from "../scripts/pipeline/createLocalIngest.js";
import {
  createDdbAccounting,
  type DdbAccounting,
  type DdbSnapshot,
  instrumentDdbClient,
} from "./ddbAccounting.js";
import type { Goal } from "./processorBench.js";
import { percentile, renderTable, sortedCopy } from "./stats.js";

/** What one load cell did: offered at a rate, for a duration, in batches of a size. */
export interface IngestApiCell {
  readonly label: string;
  readonly batchSize: number;
  readonly offeredPerSecond: number;
  readonly seconds: number;
  readonly requests: number;
  /** Requests answered 5xx/429 or not answered, each then sent again unchanged (idempotent). */
  readonly retriedRequests: number;
  /** Distinct events sent, and resends of events already accepted (~5 %). */
  readonly uniqueSent: number;
  readonly duplicatesSent: number;
  readonly accepted: number;
  readonly idempotentHits: number;
  readonly rejected: number;
  readonly acceptedPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
  /** Messages on the queue not yet received by the consumer, sampled every 250 ms. */
  readonly queueLag: { readonly max: number; readonly p95: number };
  /** Distinct events the consumer received, and receipts of an event already received. */
  readonly received: number;
  readonly receivedTwice: number;
  readonly dlq: number;
  /** Unique events never accepted or never received on the queue. */
  readonly lost: number;
  /** Requests that were due but not sent by the end of the cell (the server could not keep up). */
  readonly behind: number;
  /**
   * DynamoDB requests the API made per accepted event, by command, and the item writes (transactional
   * items and batch writes) per accepted event: the work per event the local stand-in has to do.
   */
  readonly dynamoPerEvent: {
    readonly requests: number;
    readonly byCommand: Readonly<Record<string, number>>;
    readonly writeUnits: number;
  };
}

export interface IngestApiBenchResult {
  readonly cells: readonly IngestApiCell[];
  /** The highest offered rate (batches of 100) sustained: ≥ 95 % of it accepted, lag ≤ 1,000, none lost or dead-lettered. */
  readonly ceilingPerSecond: number | undefined;
  readonly goals: readonly Goal[];
  readonly table: string;
  readonly note: string;
}

export interface IngestApiBenchParameters {
  /** Sustained rate of new events. @default 500 */
  readonly eventsPerSecond: number;
  /** Per sustained cell. */
  readonly seconds: number;
  /** Per step of the ceiling search. */
  readonly stepSeconds: number;
  /** Rates the ceiling search tries, ascending from below the goal (batches of 100); it stops at the first that fails. */
  readonly steps: readonly number[];
  readonly log: (line: string) => void;
}

const DUPLICATE_SHARE = 0.05;
const STREAMS = 4;
/** A request still unanswered after this is counted as failed and sent again. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Connections the load generator keeps open, as a producer's HTTP pool would. Unbounded, a server that
 * falls behind gets ever more concurrent requests (each waiting on the DynamoDB client's 50 sockets) until
 * every one times out and is sent again: the stall of the first runs. Bounded, a slow server shows as
 * latency (counted from when each request was due) and as a lower accepted rate.
 */
const MAX_IN_FLIGHT = 32;
/** Past its duration a cell sends no more; what was due and not yet sent is reported as `behind`. */
const GRACE_SECONDS = 5;

/**
 * `npm run bench -- --only ingest-api`: the Phase-3 load test. The real routes over HTTP (serveApi, the
 * Hono node server `npm start -- --serve` uses) on DynamoDB Local and the SQS server in its own process;
 * a consumer (the local event source) drains the queue. Sustained cells at batches of 10 and of 100,
 * then the rate stepped up until a goal fails.
 */
export async function runIngestApiBench(p: IngestApiBenchParameters): Promise<IngestApiBenchResult> {
  const stack = await startBenchStack();
  try {
    const cells: IngestApiCell[] = [];
    const run = async (label: string, batchSize: number, rate: number, seconds: number) => {
      const cell = await runCell(stack, { label, batchSize, offeredPerSecond: rate, seconds });
      p.log(`  ${describeCell(cell)}`);
      cells.push(cell);
      return cell;
    };
    await run("sustained", 10, p.eventsPerSecond, p.seconds);
    await run("sustained", 100, p.eventsPerSecond, p.seconds);
    let ceilingPerSecond: number | undefined;
    for (const rate of p.steps) {
      const cell = await run("step", 100, rate, p.stepSeconds);
      if (!sustains(cell)) break;
      ceilingPerSecond = rate;
    }
    return summarize(p, cells, ceilingPerSecond);
  } finally {
    await stack.stop();
  }
}

/** The cell's offered rate was carried: ≥ 95 % of it accepted, lag ≤ 1,000, none lost, none dead-lettered. */
export function sustains(c: IngestApiCell): boolean {
  return (
    c.acceptedPerSecond >= 0.95 * c.offeredPerSecond && c.queueLag.max <= 1000 && c.lost === 0 && c.dlq === 0
  );
}

/** The Phase-3 goals for one cell: sustained (above) with p95 ≤ 100 ms. */
export function meetsGoals(c: IngestApiCell): boolean {
  return sustains(c) && c.latencyMs.p95 <= 100;
}

/** What must add up in a cell whatever the speed. */
export function ingestApiAccounting(c: IngestApiCell): { check: string; ok: boolean; detail: string }[] {
  const id = `${c.label} ${c.offeredPerSecond}/s ×${c.batchSize}`;
  return [
    {
      check: `${id}: every new event accepted once, every resend an idempotent hit`,
      ok: c.accepted === c.uniqueSent && c.idempotentHits === c.duplicatesSent && c.rejected === 0,
      detail: `${c.accepted}/${c.uniqueSent} accepted, ${c.idempotentHits}/${c.duplicatesSent} hits, ${c.rejected} rejected`,
    },
    {
      check: `${id}: every accepted event received once from the queue, none dead-lettered`,
      ok: c.received === c.accepted && c.receivedTwice === 0 && c.dlq === 0 && c.lost === 0,
      detail: `${c.received}/${c.accepted} received, ${c.receivedTwice} twice, ${c.dlq} in the DLQ, ${c.lost} lost`,
    },
  ];
}

interface BenchStack {
  readonly api: ServedApi;
  readonly accounting: DdbAccounting;
  readonly deps: IngestRoutesDependencies;
  readonly queues: ProvisionedQueues;
  readonly sqs: SQSClient;
  readonly apiKey: string;
  stop(): Promise<void>;
}

async function startBenchStack(): Promise<BenchStack> {
  const [dynamo, sqsServer, stateDir]: [DynamoDbLocal, SqsServer, string] = await Promise.all([
    startDynamoDbLocal(),
    startSqsServerProcess(),
    mkdtemp(join(tmpdir(), "tidemark-ingest-api-bench-")),
  ]);
  const ddb = new DynamoDBClient(localAwsConfig(dynamo.endpoint));
  const accounting = createDdbAccounting();
  instrumentDdbClient(ddb, accounting);
  const sqs = new SQSClient(localAwsConfig(sqsServer.endpoint));
  const queues = await provisionQueues({ sqs, maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });
  const tableName = await provisionIngestTable(ddb, "bench-ingest");
  const deps = buildIngestDependencies({
    ddb,
    sqs,
    tableName,
    queueUrl: queues.queueUrl,
    settings: resolveIngestSettings({}),
    signingKey: await loadSigningKey({ stateDir }),
    objectStore: localObjectStore(stateDir),
  });
  // The load is one producer: its key's bucket must not be what is measured.
  const { apiKey } = await deps.keys.createKey({
    name: "bench",
    streams: ["*"],
    ratePerSecond: 1e6,
    burst: 1e6,
  });
  const sink: DuckDbSink = await createDuckDbSink({ path: ":memory:" });
  const api = await serveApi({ db: sink, version: "bench", dashboard: false, ingest: deps });
  return {
    api,
    accounting,
    deps,
    queues,
    sqs,
    apiKey,
    stop: async () => {
      await api.close();
      await sink.close();
      ddb.destroy();
      sqs.destroy();
      await Promise.all([dynamo.stop(), sqsServer.stop(), rm(stateDir, { recursive: true, force: true })]);
    },
  };
}

let cellCounter = 0;

interface Tally {
  requests: number;
  retried: number;
  uniqueSent: number;
  duplicatesSent: number;
  accepted: number;
  hits: number;
  rejected: number;
  readonly latencies: number[];
  readonly lagSamples: number[];
  readonly received: Set<string>;
  receivedTwice: number;
  readonly acceptedIds: Set<string>;
  behind: number;
}

async function runCell(
  stack: BenchStack,
  c: { label: string; batchSize: number; offeredPerSecond: number; seconds: number },
): Promise<IngestApiCell> {
  const cell = ++cellCounter;
  const tally: Tally = {
    requests: 0,
    retried: 0,
    uniqueSent: 0,
    duplicatesSent: 0,
    accepted: 0,
    hits: 0,
    rejected: 0,
    latencies: [],
    lagSamples: [],
    received: new Set(),
    receivedTwice: 0,
    acceptedIds: new Set(),
    behind: 0,
  };
  const consumer = startConsumer(stack, tally);
  stack.accounting.reset();
  const lagTimer = setInterval(() => {
    void queueDepth(stack.sqs, stack.queues.queueUrl).then((n) => tally.lagSamples.push(n));
  }, 250);
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  const requestsTotal = Math.max(1, Math.round((c.offeredPerSecond * c.seconds) / c.batchSize));
  const intervalMs = (c.batchSize / c.offeredPerSecond) * 1000;
  const stopAt = t0 + (c.seconds + GRACE_SECONDS) * 1000;
  const acceptedIds = new Map<string, string[]>(); // stream → clientEventIds accepted so far
  // Open loop: request i is due at t0 + i·interval whatever earlier ones are doing; its latency counts
  // from when it was due, so a slow server shows as latency (and as `behind`), not as a slower offer.
  let sent = 0;
  for (; sent < requestsTotal && performance.now() < stopAt; sent++) {
    const dueAt = t0 + sent * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const events = batchEvents(cell, sent, c.batchSize, acceptedIds, tally);
    const sending = send(stack, events, dueAt, tally, acceptedIds);
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  }
  await Promise.all(inFlight);
  tally.behind = requestsTotal - sent;
  const elapsedSeconds = (performance.now() - t0) / 1000;
  const dynamo = stack.accounting.snapshot(); // the request path only: the sweep below is not counted
  clearInterval(lagTimer);
  // Whatever a request's send left behind (SQS refused) is swept, as the schedule would.
  await drainOutbox({ ...stack.deps, partitions: stack.deps.settings.partitions, graceSeconds: 0 });
  await consumer.drain({ idleMs: 1_000, timeoutMs: 120_000 });
  await consumer.stop();
  return toCell(c, tally, elapsedSeconds, await queueDepth(stack.sqs, stack.queues.dlqUrl), dynamo);
}

/** One batch of one stream; about 5 % of its entries resend an event accepted earlier (same clientEventId). */
function batchEvents(
  cell: number,
  i: number,
  size: number,
  acceptedIds: ReadonlyMap<string, readonly string[]>,
  tally: Tally,
) {
  const stream = `load-${cell}-${i % STREAMS}`;
  const earlier = acceptedIds.get(stream) ?? [];
  return Array.from({ length: size }, (_, j) => {
    const resend = earlier.length > 0 && (i * size + j) % Math.round(1 / DUPLICATE_SHARE) === 0;
    if (resend) {
      tally.duplicatesSent++;
      const clientEventId = earlier[(i * 31 + j) % earlier.length] as string;
      return { stream, type: "load", clientEventId, payload: { resend: true }, resend: true };
    }
    tally.uniqueSent++;
    return {
      stream,
      type: "load",
      clientEventId: `c${i}-${j}`,
      payload: { i, j, note: "phase-3 load" },
      resend: false,
    };
  });
}

async function send(
  stack: BenchStack,
  events: { stream: string; clientEventId: string; resend: boolean }[],
  dueAt: number,
  tally: Tally,
  acceptedIds: Map<string, string[]>,
): Promise<void> {
  const body = JSON.stringify({ events: events.map(({ resend: _, ...e }) => e) });
  for (let attempt = 0; ; attempt++) {
    tally.requests++;
    const res = await fetch(`${stack.api.url}/v1/events`, {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch(() => undefined);
    if (res?.status === 200) {
      const { results } = (await res.json()) as { results: { status: string; eventId?: string }[] };
      tally.latencies.push(performance.now() - dueAt);
      results.forEach((r, k) => {
        // A new event answered `duplicate` on a resend of its request: an earlier attempt was accepted
        // and its answer lost (timed out): accepted once, not an idempotent hit of the load's own.
        const firstAcceptance = r.status === "duplicate" && attempt > 0 && events[k]?.resend === false;
        if (r.status === "accepted" || firstAcceptance) {
          tally.accepted++;
          tally.acceptedIds.add(r.eventId ?? "");
          const e = events[k];
          if (e)
            (acceptedIds.get(e.stream) ?? acceptedIds.set(e.stream, []).get(e.stream))?.push(e.clientEventId);
        } else if (r.status === "duplicate") tally.hits++;
        else tally.rejected++;
      });
      return;
    }
    await res?.body?.cancel();
    // Given up: its new events count as lost (uniqueSent − accepted), which fails the accounting.
    if (attempt >= 10) return;
    tally.retried++;
    await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
  }
}

/** The consumer: the local event source, deleting what it receives; counts distinct event ids. */
function startConsumer(stack: BenchStack, tally: Tally): EventSourcePoller {
  const poller = createEventSourcePoller({
    sqs: stack.sqs,
    queueUrl: stack.queues.queueUrl,
    queueArn: stack.queues.queueArn,
    concurrency: 4,
    handler: async (e) => {
      for (const r of e.Records) {
        const id = (JSON.parse(r.body) as { eventId: string }).eventId;
        if (tally.received.has(id)) tally.receivedTwice++;
        tally.received.add(id);
      }
      return { batchItemFailures: [] };
    },
    onError: () => {},
  });
  poller.start();
  return poller;
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? "0");
}

function toCell(
  c: { label: string; batchSize: number; offeredPerSecond: number; seconds: number },
  t: Tally,
  elapsedSeconds: number,
  dlq: number,
  dynamo: DdbSnapshot,
): IngestApiCell {
  const latencies = sortedCopy(t.latencies);
  const lags = sortedCopy(t.lagSamples);
  const ms = (p: number) => Math.round(percentile(latencies, p) * 10) / 10;
  let neverReceived = 0;
  for (const id of t.acceptedIds) if (!t.received.has(id)) neverReceived++;
  return {
    ...c,
    requests: t.requests,
    retriedRequests: t.retried,
    uniqueSent: t.uniqueSent,
    duplicatesSent: t.duplicatesSent,
    accepted: t.accepted,
    idempotentHits: t.hits,
    rejected: t.rejected,
    acceptedPerSecond: Math.round(t.accepted / elapsedSeconds),
    latencyMs: { p50: ms(50), p95: ms(95), p99: ms(99) },
    queueLag: { max: lags.at(-1) ?? 0, p95: lags.length > 0 ? percentile(lags, 95) : 0 },
    received: t.received.size,
    receivedTwice: t.receivedTwice,
    dlq,
    lost: t.uniqueSent - t.accepted + neverReceived,
    behind: t.behind,
    dynamoPerEvent: perEvent(dynamo, t.accepted),
  };
}

function perEvent(d: DdbSnapshot, accepted: number): IngestApiCell["dynamoPerEvent"] {
  const per = (n: number) => (accepted > 0 ? Math.round((n / accepted) * 1000) / 1000 : 0);
  return {
    requests: per(d.totalRequests),
    byCommand: Object.fromEntries(
      Object.entries(d.requests).map(([k, v]) => [k.replace(/Command$/, ""), per(v)]),
    ),
    writeUnits: per(d.writeUnits),
  };
}

function describeCell(c: IngestApiCell): string {
  return `${c.label} ${c.offeredPerSecond}/s ×${c.batchSize} for ${c.seconds} s: ${c.acceptedPerSecond} accepted/s, p50 ${c.latencyMs.p50} ms p95 ${c.latencyMs.p95} ms p99 ${c.latencyMs.p99} ms, lag max ${c.queueLag.max}, ${c.idempotentHits} hits, ${c.retriedRequests} retried, ${c.behind} requests behind, DLQ ${c.dlq}, lost ${c.lost}; DynamoDB per event ${c.dynamoPerEvent.requests} requests ${JSON.stringify(c.dynamoPerEvent.byCommand)}, ${c.dynamoPerEvent.writeUnits} write units`;
}

function summarize(
  p: IngestApiBenchParameters,
  cells: readonly IngestApiCell[],
  ceilingPerSecond: number | undefined,
): IngestApiBenchResult {
  const sustained = cells.filter((c) => c.label === "sustained");
  const rows = cells.map((c) => [
    `${c.label} ×${c.batchSize}`,
    String(c.offeredPerSecond),
    String(c.seconds),
    String(c.acceptedPerSecond),
    String(c.latencyMs.p50),
    String(c.latencyMs.p95),
    String(c.latencyMs.p99),
    String(c.queueLag.max),
    String(c.idempotentHits),
    String(c.retriedRequests),
    String(c.behind),
    String(c.dlq),
    String(c.lost),
    String(c.dynamoPerEvent.requests),
    String(c.dynamoPerEvent.writeUnits),
  ]);
  return {
    cells,
    ceilingPerSecond,
    goals: [
      ...sustained.map((c) => ({
        goal: `${p.eventsPerSecond} events/s sustained in batches of ${c.batchSize}: p95 ≤ 100 ms, lag ≤ 1,000, 0 lost, 0 DLQ`,
        met: meetsGoals(c),
        measured: `${c.acceptedPerSecond}/s, p95 ${c.latencyMs.p95} ms, lag max ${c.queueLag.max}, lost ${c.lost}, DLQ ${c.dlq}`,
      })),
      {
        goal: "ceiling (batches of 100) found by stepping the rate",
        met: undefined,
        measured: ceilingPerSecond === undefined ? "below the first step" : `${ceilingPerSecond} events/s`,
      },
    ],
    table: renderTable("5. Ingest API (POST /v1/events over HTTP, DynamoDB Local, SQS server process)", [
      [
        "cell",
        "offered/s",
        "s",
        "accepted/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "lag max",
        "hits",
        "retried",
        "behind",
        "DLQ",
        "lost",
        "ddb req/event",
        "ddb WU/event",
      ],
      ...rows,
    ]),
    note: `The load generator, the API server, DynamoDB Local (Java) and the queue consumer share the machine's cores with the SQS server process; latency counts from when each request was due (open loop, at most ${MAX_IN_FLIGHT} requests in flight); "behind" = requests due but not sent by the cell's end; the ceiling is the highest step carried (≥ 95 % accepted, lag ≤ 1,000, 0 lost, 0 DLQ) whatever its p95; "ddb req/event" and "ddb WU/event" = DynamoDB requests and write units (DynamoDB's pricing rule, a transactional item twice) of the request path per accepted event.`,
  };
}
