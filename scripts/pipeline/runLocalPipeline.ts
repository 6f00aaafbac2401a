import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Address } from "viem";
import type { ServedApi } from "../../lambdas/api/serveLocal.js";
import type { IngestSettings } from "../../lambdas/ingestApi/ingestSettings.js";
import type { ObjectStore } from "../../lambdas/ingestApi/objectStore.js";
import { type ChainMetrics, computeChainMetrics } from "../../lambdas/queries/chainMetrics.js";
import { computeFeeMetrics, type FeeMetrics } from "../../lambdas/queries/feeMetrics.js";
import { computeShastaMetrics, type ShastaMetrics } from "../../lambdas/queries/shastaMetrics.js";
import { INGEST_TABLE } from "../../lambdas/shared/environment.js";
import { eventBodiesOf } from "../../lambdas/shared/eventBundle.js";
import { ProcessorMetric } from "../../lambdas/shared/metricNames.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import type { DevnetStats } from "../devnet/createDevnet.js";
import type { DevnetKnobs } from "../devnet/devnetKnobs.js";
import { countByErrorType, readDlq } from "../ops/readDlq.js";
import type { CountingMetrics } from "./countingMetrics.js";
import {
  createLocalIngest,
  defaultLocalStateDir,
  type LocalIngest,
  localObjectStore,
} from "./createLocalIngest.js";
import {
  type ClickHouseTarget,
  createLocalPipeline,
  type LocalPipeline,
  type LocalPipelineHooks,
  type RpcTarget,
} from "./createLocalPipeline.js";
import { sendPoison } from "./sendPoison.js";
import { servePipeline } from "./servePipeline.js";
import type { VerifyReport } from "./verifyAgainstChain.js";

export type { ClickHouseTarget, RpcTarget };

export interface LocalPipelineOptions {
  /** Wall-clock length of the run (devnet producing blocks, or ingesting real chains). @default 60_000 */
  readonly durationMs?: number;
  /** Stop after this many L2 blocks instead (devnet only). */
  readonly l2Blocks?: number;
  /**
   * A timed devnet run goes on past `durationMs` until the Shasta fork is in force and its story told
   * (DevnetRunParameters.throughShasta), so the verification checks every Shasta table on any machine.
   * @default false
   */
  readonly throughShasta?: boolean;
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
  /** Serve the API, the stream and the dashboard over the run's sink while it runs. */
  readonly serve?: ServeDuringRun;
  /** The processor appends to the live stream's event log, as on AWS when the API is served. @default with `serve` */
  readonly eventLog?: boolean;
  /** More hooks on the pipeline (a contract test's recorders); the run's own duplicate publishing stays. */
  readonly hooks?: Omit<LocalPipelineHooks, "onPublished">;
  /** Called after verification, before the parts stop (e.g. to invoke the handlers' smoke tests on them). */
  readonly afterVerify?: (pipeline: LocalPipeline) => Promise<void>;
}

export interface ServeDuringRun {
  /** 0 (default) picks a free loopback port. */
  readonly port?: number;
  /** Called once the API listens, before block production starts, with the ingest API's key. */
  readonly onListening?: (url: string, ingest: ServedIngest) => void;
  /**
   * Called with the verified result once the ingest API anchors on the local L2; the API (and the parts
   * under it) keep running until it resolves.
   */
  readonly holdAfterVerify?: (result: LocalPipelineResult, ingest: ServedIngest) => Promise<void>;
  /** The signing key and claim-checked payloads. @default `.tidemark/` under the cwd */
  readonly stateDir?: string;
  /** Overrides of the ingest API's settings (and of INGEST_* in the environment). */
  readonly ingestSettings?: Partial<IngestSettings>;
}

/** What a client of the served ingest API needs. */
export interface ServedIngest {
  /** A key for `stream`, created at start. */
  readonly apiKey: string;
  readonly stream: string;
  /** The receipts' Ed25519 key (hex), as GET /v1/keys publishes it. */
  readonly publicKey: string;
  /** The L2 the commitments are anchored on, and the registry (once deployed: in holdAfterVerify). */
  readonly l2Url: string;
  readonly registry: Address | undefined;
  /** The run's environment with INGEST_TABLE, for `tidemark keys|schema --env-file` (removed at stop). */
  readonly envFile: string;
  /** The run's sink (api_events beside the chain tables), for reads while serving. */
  readonly sink: SqlQueryable;
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
  /** The Shasta metrics (lambdas/queries/shastaMetrics.ts), when the network has the fork. */
  readonly shastaMetrics: ShastaMetrics | undefined;
  /** Fees, L1 data and proving cost, sequencer profit (lambdas/queries/feeMetrics.ts), with a network preset. */
  readonly feeMetrics: FeeMetrics | undefined;
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

/**
 * `npm start`: the local pipeline (devnet or real chains) with duplicate publishing and poison, run for
 * a while, then settled, caught up, drained and verified against the chain. The handlers are the same
 * code that runs in Lambda; the pipeline is the one createLocalPipeline builds for every scenario.
 */
export async function runLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipelineResult> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => {
    timings[name] = Date.now() - since;
  };
  const rng = seededRandom(options.seed ?? 1);
  const duplicateProbability = options.duplicateProbability ?? 0.05;
  let duplicates = 0;
  let republish: LocalPipeline["republish"] = () => undefined;
  const stateDir = options.serve ? (options.serve.stateDir ?? defaultLocalStateDir()) : undefined;
  const objectStore = stateDir ? localObjectStore(stateDir) : undefined;
  const pipeline = await createLocalPipeline({
    // The first reorg on each chain comes once the ingestor has published what it drops, so every run
    // has ingested orphans whose marking it verifies.
    devnet: { seed: options.seed ?? 1, knobs: options.knobs, seenReorgs: 1 },
    rpc: options.rpc,
    duckdbPath: options.duckdbPath,
    clickhouse: options.clickhouse,
    partitions: options.partitions,
    ...(objectStore ? { objectStore } : {}),
    // Served runs stream what the processor applies, live and resumable.
    eventLog: options.eventLog ?? options.serve !== undefined,
    // Two containers play blue and green: their invocations overlap and meet the lease.
    ingestorContainers: 2,
    hooks: {
      ...options.hooks,
      // As after SQS's 5-minute window: to SQS it is new, only DynamoDB idempotency can drop it.
      onPublished: (entry) => {
        if (rng() >= duplicateProbability) return;
        // A bundle republished duplicates every event it carries.
        duplicates += eventBodiesOf(entry.MessageBody ?? "").length;
        republish(entry, `${entry.MessageDeduplicationId}-replay`, rng() * 2_000);
      },
    },
  });
  republish = pipeline.republish;
  // A failure to serve must not leave the parts running: the try below is not entered yet.
  const served = await serveWithIngest(pipeline, options.serve, stateDir, objectStore).catch(
    async (error) => {
      await pipeline.stop();
      throw error;
    },
  );
  const api = served?.api;
  mark("start", t0);
  const progress = createProgress(pipeline, options.onProgress);
  const ticker = setInterval(() => progress("running"), 500);
  try {
    const poisonSent = await produce(pipeline, options, progress, mark);
    progress("catching up");
    const tCatchUp = Date.now();
    if (!(await pipeline.catchUp({ maxRounds: 20 }))) {
      const { next, lastError } = pipeline.ingest;
      throw new Error(
        `ingestor did not reach the head after 20 invocations (l1 next ${next.l1}, l2 next ${next.l2}): ${String(lastError)}`,
      );
    }
    mark("catchUp", tCatchUp);
    progress("draining");
    const tDrain = Date.now();
    await pipeline.republished();
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    mark("drain", tDrain);
    progress("verifying");
    const result = await verifyRun(pipeline, { poisonSent, duplicates, timings, mark, t0 });
    clearInterval(ticker);
    await options.afterVerify?.(pipeline);
    if (served && options.serve?.holdAfterVerify) {
      await handOverL2(pipeline, served.ingest);
      await options.serve.holdAfterVerify(result, servedIngest(pipeline, served.ingest));
    }
    return result;
  } finally {
    clearInterval(ticker);
    await api?.close();
    await served?.ingest.stop();
    if (served) await rm(localEnvFile(served.ingest), { force: true });
    await pipeline.stop();
  }
}

/** The API over the pipeline with the ingest API mounted (its table, key, loops); undefined without `serve`. */
async function serveWithIngest(
  pipeline: LocalPipeline,
  serve: ServeDuringRun | undefined,
  stateDir: string | undefined,
  objectStore: ObjectStore | undefined,
): Promise<{ api: ServedApi; ingest: LocalIngest } | undefined> {
  if (!serve || !stateDir || !objectStore) return undefined;
  const ingest = await createLocalIngest({
    ddb: pipeline.harness.ddb,
    sqs: pipeline.harness.sqs,
    queueUrl: pipeline.queueUrl,
    stateDir,
    objectStore,
    ...(serve.ingestSettings ? { settings: serve.ingestSettings } : {}),
  });
  try {
    const env = { ...pipeline.env, [INGEST_TABLE]: ingest.tableName };
    await writeFile(
      localEnvFile(ingest),
      `# written by npm start -- --serve; removed when it stops\n${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
    const api = await servePipeline(pipeline, { port: serve.port, ingest: ingest.deps });
    serve.onListening?.(api.url, servedIngest(pipeline, ingest));
    return { api, ingest };
  } catch (error) {
    await ingest.stop();
    throw error;
  }
}

const localEnvFile = (ingest: LocalIngest) => join(ingest.stateDir, "local.env");

/**
 * Once the devnet has settled it no longer mines: the L2 goes back to automine, the registry is
 * deployed and the anchor loop starts. Real chains (`--rpc`) get no registry: anchoring needs a funded
 * key there, which is the deployed anchor function's job.
 */
async function handOverL2(pipeline: LocalPipeline, ingest: LocalIngest): Promise<void> {
  if (!pipeline.devnet) return;
  const l2Url = pipeline.nodeUrls.l2;
  const res = await fetch(l2Url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_setAutomine", params: [true] }),
  });
  if (!res.ok) throw new Error(`evm_setAutomine on ${l2Url}: HTTP ${res.status}`);
  await ingest.startAnchoring(l2Url);
}

function servedIngest(pipeline: LocalPipeline, ingest: LocalIngest): ServedIngest {
  return {
    apiKey: ingest.apiKey,
    stream: ingest.stream,
    publicKey: ingest.publicKey,
    l2Url: pipeline.nodeUrls.l2,
    registry: ingest.registry,
    envFile: localEnvFile(ingest),
    sink: pipeline.sink,
  };
}

/** The production phase: the schedule on, poison sent, the devnet's story (or a wait on real chains), settled. */
async function produce(
  pipeline: LocalPipeline,
  options: LocalPipelineOptions,
  progress: (phase: Progress["phase"]) => void,
  mark: (name: string, since: number) => void,
): Promise<string[]> {
  progress("running");
  pipeline.startSchedule(options.scheduleEveryMs ?? 6_000, options.ingestorBudgetMs ?? 8_000);
  // Poison: the rest of the stream must keep flowing past it; each lands in the DLQ with its reason.
  const poisonSent = await sendPoison(pipeline.harness.sqs, pipeline.queueUrl, options.poisonMessages ?? 4);
  const tRun = Date.now();
  const durationMs = options.durationMs ?? 60_000;
  if (pipeline.devnet) {
    await pipeline.devnet.run({
      ...(options.l2Blocks !== undefined
        ? { l2Blocks: options.l2Blocks }
        : { durationMs, throughShasta: options.throughShasta === true }),
      signal: options.signal,
    });
    mark("devnetRun", tRun);
    progress("settling");
    const tSettle = Date.now();
    // The quiet end of the story: every L2 block proposed, every batch proved and verified.
    await pipeline.devnet.settle();
    mark("devnetSettle", tSettle);
  } else {
    await sleep(durationMs, options.signal);
    mark("ingestRun", tRun);
  }
  await pipeline.stopSchedule();
  return poisonSent;
}

/** The sink against the chain, the DLQ holding exactly the poison with reasons, every duplicate dropped. */
async function verifyRun(
  pipeline: LocalPipeline,
  run: {
    poisonSent: readonly string[];
    duplicates: number;
    timings: Record<string, number>;
    mark: (name: string, since: number) => void;
    t0: number;
  },
): Promise<LocalPipelineResult> {
  const tVerify = Date.now();
  const verification = await pipeline.verify();
  const dlq = await readDlq(pipeline.harness.sqs, pipeline.dlqUrl);
  const metrics = await computeChainMetrics(pipeline.sink);
  const shastaMetrics = pipeline.network?.forks.some((f) => f.decoder === "shasta")
    ? await computeShastaMetrics(pipeline.sink)
    : undefined;
  const feeMetrics = pipeline.network ? await computeFeeMetrics(pipeline.sink) : undefined;
  run.mark("verify", tVerify);
  run.mark("total", run.t0);
  const m = pipeline.processorMetrics;
  const { ingest } = pipeline;
  const counters = {
    ingestorInvocations: ingest.invocations,
    leaseStandDowns: ingest.leaseStandDowns,
    publishedHeaders: ingest.published.headers,
    publishedInboxEvents: ingest.published.inboxEvents,
    publishedReorgs: ingest.published.reorgs,
    duplicatesPublished: run.duplicates,
    poisonSent: run.poisonSent.length,
    processed: m.total(ProcessorMetric.RecordsProcessed),
    duplicatesDropped: m.total(ProcessorMetric.DuplicatesDropped),
    retried: m.total(ProcessorMetric.RecordsRetried),
    deadLettered: m.total(ProcessorMetric.RecordsDeadLettered),
  };
  const problems: string[] = [];
  if (!verification.ok) problems.push("the sink does not match the canonical chain (see the table above)");
  const poisonIds = new Set(run.poisonSent);
  const unexpectedDlq = dlq.entries.filter((e) => !poisonIds.has(e.sourceMessageId ?? ""));
  if (unexpectedDlq.length > 0) problems.push(`${unexpectedDlq.length} non-poison message(s) in the DLQ`);
  const missingPoison = run.poisonSent.filter((id) => !dlq.entries.some((e) => e.sourceMessageId === id));
  if (missingPoison.length > 0)
    problems.push(`${missingPoison.length} poison message(s) did not reach the DLQ`);
  const withoutReason = dlq.entries.filter((e) => !e.errorType || !e.errorMessage);
  if (withoutReason.length > 0) problems.push(`${withoutReason.length} DLQ message(s) carry no reason`);
  if (pipeline.devnet && feeMetrics) problems.push(...devnetFeeProblems(feeMetrics));
  if (pipeline.devnet && pipeline.network) problems.push(...(await devnetBlobAndPreconfProblems(pipeline)));
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
    shastaMetrics,
    feeMetrics,
    devnet: pipeline.devnet?.stats,
    counters,
    dlq: { count: dlq.entries.length, byErrorType: countByErrorType(dlq.entries) },
    ranges: {
      l1: { from: pipeline.from.l1, to: ingest.next.l1 - 1 },
      l2: { from: pipeline.from.l2, to: ingest.next.l2 - 1 },
    },
    timingsMs: run.timings,
    sink: pipeline.sinkDescription,
  };
}

/** The progress line's numbers, queue depths refreshed in the background (best effort). */
function createProgress(
  pipeline: LocalPipeline,
  onProgress: ((progress: Progress) => void) | undefined,
): (phase: Progress["phase"]) => void {
  const depth = { queue: 0, dlq: 0 };
  let polling = false;
  const refreshDepths = async () => {
    if (polling) return;
    polling = true;
    try {
      const sqs = pipeline.harness.sqs;
      [depth.queue, depth.dlq] = await Promise.all([
        queueDepth(sqs, pipeline.queueUrl),
        queueDepth(sqs, pipeline.dlqUrl),
      ]);
    } catch {
      // the progress line is best effort
    } finally {
      polling = false;
    }
  };
  const metrics: CountingMetrics = pipeline.processorMetrics;
  return (phase) => {
    if (!onProgress) return;
    void refreshDepths();
    onProgress({
      phase,
      l1Head: pipeline.ingest.head.l1,
      l2Head: pipeline.ingest.head.l2,
      published: { ...pipeline.ingest.published },
      queueDepth: depth.queue,
      processed: metrics.total(ProcessorMetric.RecordsProcessed),
      duplicatesDropped: metrics.total(ProcessorMetric.DuplicatesDropped),
      dlq: depth.dlq,
    });
  };
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = out.Attributes;
  return Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** mulberry32: small, seedable, good enough to pick which messages to duplicate. */
export function seededRandom(seed: number): () => number {
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

/**
 * The devnet's Shasta proposals carry blobs and its whitelist has active operators: no blob gas recorded
 * for them, or no epoch read, means the blob cost or whitelist reads are broken (the values themselves are
 * checked against the chain by verifyFeeTables / verifyPreconfTables).
 */
async function devnetBlobAndPreconfProblems(pipeline: LocalPipeline): Promise<string[]> {
  const count = async (sql: string) =>
    Number((await pipeline.sink.query<{ n: number | bigint }>(sql))[0]?.n ?? 0);
  const problems: string[] = [];
  const shasta = await count("SELECT count(*) AS n FROM canonical_proposals WHERE proposal_id > 0");
  const blobCosted = await count(
    "SELECT count(*) AS n FROM canonical_l1_tx_costs WHERE role = 'propose' AND blob_gas_used > 0",
  );
  if (shasta > 0 && blobCosted === 0) problems.push("no blob gas recorded for the devnet's Shasta proposals");
  const epochs = await count("SELECT count(*) AS n FROM canonical_preconf_epochs WHERE candidate_count > 0");
  if (epochs === 0) problems.push("no preconfirmation operators recorded from the devnet's whitelist");
  return problems;
}

/** The devnet pays tips on L2 and gas on L1: fee tables that stay empty or zero mean the fee reads are broken. */
function devnetFeeProblems(f: FeeMetrics): string[] {
  const problems: string[] = [];
  if (f.l2Txs > 0 && BigInt(f.priorityFeeWei) === 0n)
    problems.push("the devnet's L2 transactions recorded no tips");
  if (f.proposingTxs === 0 || BigInt(f.l1DataCostWei) === 0n)
    problems.push("no L1 data cost recorded for the devnet's proposals");
  if (f.provingTxs === 0 || BigInt(f.provingCostWei) === 0n)
    problems.push("no proving cost recorded for the devnet's proofs");
  return problems;
}
