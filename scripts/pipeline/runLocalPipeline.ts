import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  GetQueueAttributesCommand,
  type SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { type Address, createPublicClient, http } from "viem";
import {
  createIngestorHandler,
  type IngestorEvent,
  loadIngestorRuntime,
} from "../../lambdas/ingestor/handler.js";
import type { IngestorReport } from "../../lambdas/ingestor/ingestor.js";
import { loadProcessorConfig } from "../../lambdas/processor/config.js";
import { createProcessorHandler } from "../../lambdas/processor/createProcessorHandler.js";
import { type ChainMetrics, computeChainMetrics } from "../../lambdas/queries/chainMetrics.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { createClickHouseSink } from "../../lambdas/sink/clickhouseSink.js";
import { createDuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import { createDevnet, type Devnet, type DevnetStats } from "../devnet/createDevnet.js";
import type { DevnetKnobs } from "../devnet/devnetKnobs.js";
import { startClickHouse } from "../local/clickhouseServer.js";
import { createEventSourcePoller } from "../local/eventSourcePoller.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { type LocalParts, startLocalParts } from "../local/localParts.js";
import { CountingMetrics } from "./countingMetrics.js";
import { inspectDlq } from "./inspectDlq.js";
import { lambdaContext } from "./lambdaContext.js";
import { sendPoison } from "./sendPoison.js";
import { type VerifyReport, verifyAgainstChain } from "./verifyAgainstChain.js";

/** Real chains to watch instead of the devnet. */
export interface RpcTarget {
  readonly l1Urls: readonly string[];
  readonly l2Urls: readonly string[];
  readonly inbox: Address;
  readonly inboxWrapper?: Address;
  /** First block to ingest. @default head − 50 */
  readonly l1From?: number;
  readonly l2From?: number;
  /** Blocks held back from the head. @default 2 */
  readonly confirmations?: number;
}

export interface ClickHouseTarget {
  /** HTTP interface, e.g. http://127.0.0.1:8123. @default a local server started for the run and removed after it */
  readonly url?: string;
  /** @default "tidemark" on a local server; a fresh `tidemark_run_<time>` on a given url, so earlier runs cannot fail this one's verification */
  readonly database?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface LocalPipelineOptions {
  /** Wall-clock length of the run (devnet producing blocks, or ingesting real chains). @default 60_000 */
  readonly durationMs?: number;
  /** Stop after this many L2 blocks instead (devnet only). */
  readonly l2Blocks?: number;
  /** @default 1 */
  readonly seed?: number;
  readonly knobs?: Partial<DevnetKnobs>;
  /** Watch these chains; no devnet is started. */
  readonly rpc?: RpcTarget;
  /** Chance that each published message is published again later under a new deduplication id, as after SQS's 5-minute window. @default 0.05 */
  readonly duplicateProbability?: number;
  /** Malformed messages to put on the queue; each must end in the DLQ with its reason. @default 4 */
  readonly poisonMessages?: number;
  /** Keep the DuckDB file here. @default a temp file removed at the end */
  readonly duckdbPath?: string;
  /** Write to ClickHouse instead of DuckDB; without a url, a throwaway local server is started (clickhouse-server must be installed). */
  readonly clickhouse?: ClickHouseTarget;
  /** @default 16 */
  readonly partitions?: number;
  /** Length of one ingestor invocation; a new one starts every `scheduleEveryMs`, so consecutive ones overlap (a blue-green shift, a slow run). @default 8_000 */
  readonly ingestorBudgetMs?: number;
  /** @default 6_000 */
  readonly scheduleEveryMs?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Aborting ends the production phase early; the run still drains and verifies. */
  readonly signal?: AbortSignal;
}

export interface Progress {
  readonly phase: "starting" | "running" | "settling" | "catching up" | "draining" | "verifying";
  readonly l1Head: number | undefined;
  readonly l2Head: number | undefined;
  readonly published: { readonly headers: number; readonly inboxEvents: number; readonly reorgs: number };
  readonly queueDepth: number;
  readonly processed: number;
  readonly duplicatesDropped: number;
  readonly dlq: number;
}

export interface LocalPipelineResult {
  readonly ok: boolean;
  /** Every reason the run counts as failed; empty when ok. */
  readonly problems: readonly string[];
  readonly verification: VerifyReport;
  readonly metrics: ChainMetrics;
  readonly devnet: DevnetStats | undefined;
  readonly counters: {
    readonly ingestorInvocations: number;
    readonly leaseStandDowns: number;
    readonly publishedHeaders: number;
    readonly publishedInboxEvents: number;
    readonly publishedReorgs: number;
    readonly duplicatesPublished: number;
    readonly poisonSent: number;
    readonly processed: number;
    readonly duplicatesDropped: number;
    readonly retried: number;
    readonly deadLettered: number;
  };
  readonly dlq: { readonly count: number; readonly byErrorType: Readonly<Record<string, number>> };
  readonly ranges: { readonly l1: { from: number; to: number }; readonly l2: { from: number; to: number } };
  readonly timingsMs: Readonly<Record<string, number>>;
  /** Where the rows went: "duckdb <path>" or "clickhouse <url> database <name>". */
  readonly sink: string;
}

const LOCAL_POLL_INTERVAL_MS = 250;
/** The run reports what matters (DLQ reasons included); per-record logs would bury the progress line. */
const LOCAL_LOG_LEVEL = (process.env.POWERTOOLS_LOG_LEVEL ?? "SILENT") as "SILENT";
/** Short leases and visibility so a crashed or failed step is retried within seconds, not minutes. */
const LOCAL_VISIBILITY_TIMEOUT_S = 8;
const LOCAL_CLAIM_TIMEOUT_S = 5;
const LOCAL_LEASE_S = 10;

/**
 * Runs the whole pipeline on this machine: local parts, the devnet (or real
 * chains), the ingestor handler on a schedule, the processor handler behind a
 * stand-in for the SQS event source, then settles, drains and verifies the
 * sink against the chain. The handlers are the same code that runs in Lambda.
 */
export async function runLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipelineResult> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => {
    timings[name] = Date.now() - since;
  };
  const partitions = options.partitions ?? 16;
  let progress: { emit(phase: Progress["phase"]): void } | undefined;
  const report = (phase: Progress["phase"]) => progress?.emit(phase);

  const parts = await startLocalParts({
    l1: options.rpc ? false : {},
    l2: options.rpc ? false : {},
    duckdbPath: options.duckdbPath,
    visibilityTimeoutSeconds: LOCAL_VISIBILITY_TIMEOUT_S,
  });
  const cleanup: (() => Promise<unknown>)[] = [() => parts.stop()];
  try {
    mark("startParts", t0);
    const l1Urls = options.rpc ? [...options.rpc.l1Urls] : [must(parts.l1, "l1").url];
    const l2Urls = options.rpc ? [...options.rpc.l2Urls] : [must(parts.l2, "l2").url];
    const l1 = createPublicClient({ transport: http(l1Urls[0]) });
    const l2 = createPublicClient({ transport: http(l2Urls[0]) });

    let devnet: Devnet | undefined;
    let inbox: Address;
    let wrapper: Address | undefined;
    let l1From: number;
    let l2From: number;
    if (options.rpc) {
      inbox = options.rpc.inbox;
      wrapper = options.rpc.inboxWrapper;
      const confirmations = options.rpc.confirmations ?? 2;
      l1From = options.rpc.l1From ?? Math.max(0, Number(await l1.getBlockNumber()) - confirmations - 50);
      l2From = options.rpc.l2From ?? Math.max(0, Number(await l2.getBlockNumber()) - confirmations - 50);
    } else {
      const tDeploy = Date.now();
      devnet = createDevnet({
        l1Url: l1Urls[0] as string,
        l2Url: l2Urls[0] as string,
        seed: options.seed ?? 1,
        knobs: options.knobs,
      });
      const addresses = await devnet.deploy();
      inbox = addresses.inbox;
      wrapper = addresses.wrapper;
      l1From = 0;
      l2From = 0;
      mark("deployDevnet", tDeploy);
    }

    // The sink is opened here, once: DuckDB is single-writer per process, and the report reads it.
    const {
      sink,
      env: sinkEnv,
      description: sinkDescription,
    } = await openSink(options, parts.duckdbPath, cleanup);

    const env: Record<string, string> = {
      ...parts.env(),
      L1_RPC_URLS: l1Urls.join(","),
      L2_RPC_URLS: l2Urls.join(","),
      INBOX_ADDRESS: inbox,
      ...(wrapper ? { INBOX_WRAPPER_ADDRESS: wrapper } : {}),
      L1_START_BLOCK: String(l1From),
      L2_START_BLOCK: String(l2From),
      PARTITIONS: String(partitions),
      POLL_INTERVAL_MS: String(LOCAL_POLL_INTERVAL_MS),
      TIME_RESERVE_MS: "500",
      LEASE_SECONDS: String(LOCAL_LEASE_S),
      CONFIRMATIONS: String(options.rpc?.confirmations ?? (options.rpc ? 2 : 0)),
      ...sinkEnv,
      CLAIM_TIMEOUT_SECONDS: String(LOCAL_CLAIM_TIMEOUT_S),
    };

    const queueUrl = must(parts.resources.queueUrl, "queue");
    const dlqUrl = must(parts.resources.dlqUrl, "dlq");
    const sqs = must(parts.sqs, "sqs").client;
    const ddb = must(parts.dynamodb, "dynamodb").client;

    // --- publishing side: the ingestor handler, with duplicate publishing injected at the SQS boundary.
    const published = { headers: 0, inboxEvents: 0, reorgs: 0, duplicates: 0 };
    const ingestorSqs = new SQSClient(localAwsConfig(must(parts.sqs, "sqs").endpoint));
    cleanup.push(async () => ingestorSqs.destroy());
    const rng = seededRandom(options.seed ?? 1);
    const duplicateProbability = options.duplicateProbability ?? 0.05;
    const replays: Promise<unknown>[] = [];
    ingestorSqs.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const input = args.input as { Entries?: SendEntry[] };
        const output = result.output as { Successful?: { Id?: string }[] };
        if (!Array.isArray(input.Entries) || !Array.isArray(output.Successful)) return result;
        const sent = new Set(output.Successful.map((s) => s.Id));
        for (const entry of input.Entries) {
          if (!sent.has(entry.Id)) continue;
          const type = entry.MessageAttributes?.eventType?.StringValue;
          if (type === "l1_header" || type === "l2_header") published.headers++;
          else if (type === "reorg") published.reorgs++;
          else published.inboxEvents++;
          if (rng() < duplicateProbability) {
            published.duplicates++;
            replays.push(replayLater(sqs, queueUrl, entry, rng() * 2_000));
          }
        }
        return result;
      },
      { step: "initialize", name: "tidemarkDuplicatePublisher" },
    );

    const quietLogger = () => new Logger({ serviceName: ServiceName.ingestor, logLevel: LOCAL_LOG_LEVEL });
    const ingestorMetrics = new CountingMetrics("ingestor");
    // Two handler instances play two containers (blue and green): their invocations overlap and meet the lease.
    const ingestors = [0, 1].map(() =>
      createIngestorHandler({
        logger: quietLogger(),
        metrics: ingestorMetrics,
        runtime: () => loadIngestorRuntime({ env, sqs: ingestorSqs, ddb, owner: `local:${randomUUID()}` }),
      }),
    );
    const invocations = { count: 0, leaseStandDowns: 0 };
    const heads = {
      l1: undefined as number | undefined,
      l2: undefined as number | undefined,
      next: { l1: 0, l2: 0 },
    };
    const invokeIngestor = async (budgetMs: number): Promise<IngestorReport> => {
      const handler = ingestors[invocations.count++ % ingestors.length] as (typeof ingestors)[number];
      const result = (await handler(
        {} as IngestorEvent,
        lambdaContext("tidemark-ingestor", budgetMs),
      )) as IngestorReport;
      for (const chain of result.chains) {
        if (chain.status === "lease-held") invocations.leaseStandDowns++;
        if (chain.head !== undefined) heads[chain.chain] = chain.head;
        if (chain.next !== undefined) heads.next[chain.chain] = Math.max(heads.next[chain.chain], chain.next);
      }
      return result;
    };

    // --- consuming side: the processor handler behind the local event source.
    const processorMetrics = new CountingMetrics("processor");
    const processor = createProcessorHandler({
      config: loadProcessorConfig(env),
      ddb,
      sqs,
      sinkFactory: async () => sink,
      logger: new Logger({ serviceName: ServiceName.processor, logLevel: LOCAL_LOG_LEVEL }),
      metrics: processorMetrics,
    });
    const poller = createEventSourcePoller({
      sqs,
      queueUrl,
      queueArn: must(parts.resources.queueArn, "queue arn"),
      handler: (event: SQSEvent, context: Context) => processor(event, context) as Promise<SQSBatchResponse>,
      concurrency: 2,
      waitTimeSeconds: 1,
      timeoutMs: (LOCAL_CLAIM_TIMEOUT_S - 1) * 1000,
    });
    poller.start();
    cleanup.unshift(() => poller.stop());

    progress = createProgress({
      sqs,
      queueUrl,
      dlqUrl,
      heads,
      published,
      processorMetrics,
      onProgress: options.onProgress,
    });
    report("running");
    const ticker = setInterval(() => report("running"), 500);
    cleanup.unshift(async () => clearInterval(ticker));

    // --- the schedule: a new invocation every scheduleEveryMs, each polling for ingestorBudgetMs.
    const budgetMs = options.ingestorBudgetMs ?? 8_000;
    const running = new Set<Promise<unknown>>();
    const schedule = () => {
      const p = invokeIngestor(budgetMs).catch((error: unknown) => {
        // A failed invocation is what Lambda would retry on the next tick; the report shows it.
        lastIngestError = error;
      });
      running.add(p);
      void p.finally(() => running.delete(p));
    };
    let lastIngestError: unknown;
    schedule();
    const scheduler = setInterval(schedule, options.scheduleEveryMs ?? 6_000);

    // Poison: the rest of the stream must keep flowing past it; each lands in the DLQ with its reason.
    const poisonSent = await sendPoison(sqs, queueUrl, options.poisonMessages ?? 4);

    const tRun = Date.now();
    const durationMs = options.durationMs ?? 60_000;
    if (devnet) {
      await devnet.run({
        ...(options.l2Blocks !== undefined ? { l2Blocks: options.l2Blocks } : { durationMs }),
        signal: options.signal,
      });
      mark("devnetRun", tRun);
      report("settling");
      const tSettle = Date.now();
      // The quiet end of the story: every L2 block proposed, every batch proved and verified.
      await devnet.settle();
      mark("devnetSettle", tSettle);
    } else {
      await sleep(durationMs, options.signal);
      mark("ingestRun", tRun);
    }
    clearInterval(scheduler);
    await Promise.all(running);

    // Catch up: the schedule is off, the chains are still; ingest until both cursors reach the head.
    report("catching up");
    const tCatchUp = Date.now();
    const target = {
      l1: Number(await l1.getBlockNumber()) - (options.rpc ? (options.rpc.confirmations ?? 2) : 0),
      l2: Number(await l2.getBlockNumber()) - (options.rpc ? (options.rpc.confirmations ?? 2) : 0),
    };
    for (let round = 0; heads.next.l1 <= target.l1 || heads.next.l2 <= target.l2; round++) {
      if (round >= 20) {
        throw new Error(
          `ingestor did not reach the head after ${round} invocations (l1 next ${heads.next.l1} / head ${target.l1}, l2 next ${heads.next.l2} / head ${target.l2}): ${String(lastIngestError)}`,
        );
      }
      await invokeIngestor(3_000).catch((error: unknown) => {
        lastIngestError = error;
      });
    }
    mark("catchUp", tCatchUp);

    report("draining");
    const tDrain = Date.now();
    await Promise.all(replays);
    await poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    mark("drain", tDrain);

    report("verifying");
    const tVerify = Date.now();
    const ranges = {
      l1: { from: l1From, to: heads.next.l1 - 1 },
      l2: { from: l2From, to: heads.next.l2 - 1 },
    };
    const verification = await verifyAgainstChain({
      l1Url: l1Urls[0] as string,
      l2Url: l2Urls[0] as string,
      inboxAddresses: wrapper ? [inbox, wrapper] : [inbox],
      l1Range: ranges.l1,
      l2Range: ranges.l2,
      query: (sql) => sink.query(sql),
    });
    const dlq = await inspectDlq(sqs, dlqUrl);
    const metrics = await computeChainMetrics(sink);
    mark("verify", tVerify);
    mark("total", t0);

    const counters = {
      ingestorInvocations: invocations.count,
      leaseStandDowns: invocations.leaseStandDowns,
      publishedHeaders: published.headers,
      publishedInboxEvents: published.inboxEvents,
      publishedReorgs: published.reorgs,
      duplicatesPublished: published.duplicates,
      poisonSent: poisonSent.length,
      processed: processorMetrics.total(ProcessorMetric.RecordsProcessed),
      duplicatesDropped: processorMetrics.total(ProcessorMetric.DuplicatesDropped),
      retried: processorMetrics.total(ProcessorMetric.RecordsRetried),
      deadLettered: processorMetrics.total(ProcessorMetric.RecordsDeadLettered),
    };
    const problems: string[] = [];
    if (!verification.ok) problems.push("the sink does not match the canonical chain (see the table above)");
    const poisonIds = new Set(poisonSent);
    const unexpectedDlq = dlq.messages.filter((m) => !poisonIds.has(m.sourceMessageId ?? ""));
    if (unexpectedDlq.length > 0) problems.push(`${unexpectedDlq.length} non-poison message(s) in the DLQ`);
    const missingPoison = poisonSent.filter((id) => !dlq.messages.some((m) => m.sourceMessageId === id));
    if (missingPoison.length > 0)
      problems.push(`${missingPoison.length} poison message(s) did not reach the DLQ`);
    const withoutReason = dlq.messages.filter((m) => !m.errorType || !m.errorMessage);
    if (withoutReason.length > 0) problems.push(`${withoutReason.length} DLQ message(s) carry no reason`);
    if (counters.duplicatesDropped < counters.duplicatesPublished) {
      problems.push(
        `${counters.duplicatesPublished} duplicates were published but only ${counters.duplicatesDropped} were dropped`,
      );
    }
    return {
      ok: problems.length === 0,
      problems,
      verification,
      metrics,
      devnet: devnet?.stats,
      counters,
      dlq: { count: dlq.messages.length, byErrorType: dlq.byErrorType },
      ranges,
      timingsMs: timings,
      sink: sinkDescription,
    };
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

/** The run's sink (DuckDB, or ClickHouse when asked for), the processor settings naming it, and a description for the report. */
async function openSink(
  options: LocalPipelineOptions,
  duckdbPath: string,
  cleanup: (() => Promise<unknown>)[],
): Promise<{ sink: Sink & SqlQueryable; env: Record<string, string>; description: string }> {
  if (options.clickhouse === undefined) {
    const sink = await createDuckDbSink({ path: duckdbPath });
    cleanup.unshift(() => sink.close());
    return { sink, env: { SINK: "duckdb", DUCKDB_PATH: duckdbPath }, description: `duckdb ${duckdbPath}` };
  }
  const target = options.clickhouse;
  let url = target.url;
  if (url === undefined) {
    const server = await startClickHouse();
    cleanup.push(() => server.stop());
    url = server.url;
  }
  const database =
    target.database ??
    (target.url === undefined
      ? "tidemark"
      : `tidemark_run_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`);
  const sink = await createClickHouseSink({
    url,
    database,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
  });
  cleanup.unshift(() => sink.close());
  const env: Record<string, string> = {
    SINK: "clickhouse",
    CLICKHOUSE_URL: url,
    CLICKHOUSE_DATABASE: database,
  };
  if (target.username !== undefined) env.CLICKHOUSE_USER = target.username;
  if (target.password !== undefined) env.CLICKHOUSE_PASSWORD = target.password;
  return {
    sink,
    env,
    description: `clickhouse ${url} database ${database}${target.url === undefined ? " (local server, removed after the run)" : ""}`,
  };
}

type SendEntry = NonNullable<ConstructorParameters<typeof SendMessageBatchCommand>[0]["Entries"]>[number];

/** Re-send a message under a new deduplication id: to SQS it is new, only DynamoDB idempotency can drop it. */
async function replayLater(
  sqs: SQSClient,
  queueUrl: string,
  entry: SendEntry,
  delayMs: number,
): Promise<void> {
  await sleep(delayMs);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: entry.MessageBody,
      MessageGroupId: entry.MessageGroupId,
      MessageDeduplicationId: `${entry.MessageDeduplicationId}-replay`,
      MessageAttributes: entry.MessageAttributes,
    }),
  );
}

function createProgress(p: {
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string;
  heads: { l1: number | undefined; l2: number | undefined };
  published: { headers: number; inboxEvents: number; reorgs: number };
  processorMetrics: CountingMetrics;
  onProgress?: (progress: Progress) => void;
}) {
  const depth = { queue: 0, dlq: 0 };
  let polling = false;
  const refreshDepths = async () => {
    if (polling) return;
    polling = true;
    try {
      const [q, d] = await Promise.all(
        [p.queueUrl, p.dlqUrl].map((QueueUrl) =>
          p.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl,
              AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            }),
          ),
        ),
      );
      const count = (a: Record<string, string> | undefined) =>
        Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
      depth.queue = count(q?.Attributes);
      depth.dlq = count(d?.Attributes);
    } catch {
      // the progress line is best effort
    } finally {
      polling = false;
    }
  };
  return {
    emit(phase: Progress["phase"]) {
      if (!p.onProgress) return;
      void refreshDepths();
      p.onProgress({
        phase,
        l1Head: p.heads.l1,
        l2Head: p.heads.l2,
        published: { ...p.published },
        queueDepth: depth.queue,
        processed: p.processorMetrics.total(ProcessorMetric.RecordsProcessed),
        duplicatesDropped: p.processorMetrics.total(ProcessorMetric.DuplicatesDropped),
        dlq: depth.dlq,
      });
    },
  };
}

/** mulberry32: small, seedable, good enough to pick which messages to duplicate. */
function seededRandom(seed: number): () => number {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`local part missing: ${what}`);
  return value;
}

export type { LocalParts };
