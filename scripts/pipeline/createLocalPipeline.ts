import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type SendMessageBatchRequestEntry, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { type Address, createPublicClient, http } from "viem";
import { createDynamoEventLog, type DynamoEventLog } from "../../lambdas/api/stream/createDynamoEventLog.js";
import type { ObjectStore } from "../../lambdas/ingestApi/objectStore.js";
import {
  createIngestorHandler,
  type IngestorEvent,
  type IngestorRuntime,
  loadIngestorRuntime,
} from "../../lambdas/ingestor/handler.js";
import type { IngestorReport } from "../../lambdas/ingestor/ingestor.js";
import { loadProcessorConfig } from "../../lambdas/processor/config.js";
import { createProcessorHandler } from "../../lambdas/processor/createProcessorHandler.js";
import { BUNDLE_TYPE, eventBodiesOf } from "../../lambdas/shared/eventBundle.js";
import type { Chain } from "../../lambdas/shared/events.js";
import { type FaultInjector, isInjectedCrash } from "../../lambdas/shared/faultPoints.js";
import { MessageAttribute } from "../../lambdas/shared/messageAttributes.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import { createDevnet, type Devnet } from "../devnet/createDevnet.js";
import type { DevnetKnobs } from "../devnet/devnetKnobs.js";
import { startExtraDataProxy } from "../devnet/extraDataProxy.js";
import {
  type BatchOutcome,
  createEventSourcePoller,
  type EventSourcePoller,
  type SqsBatchHandler,
} from "../local/eventSourcePoller.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { type LocalParts, startLocalParts } from "../local/localParts.js";
import { CountingMetrics } from "./countingMetrics.js";
import { lambdaContext } from "./lambdaContext.js";
import { devnetNetworkEnv, ingestorNetworkOf, rpcNetworkEnv } from "./networkEnv.js";
import { type ClickHouseTarget, openLocalSink } from "./openLocalSink.js";
import { createSeenReorgGate, type SeenReorgGate } from "./seenReorgGate.js";
import { type VerifyReport, verifyAgainstChain } from "./verifyAgainstChain.js";

export type { ClickHouseTarget };

/** Real chains to watch instead of the devnet. */
export interface RpcTarget {
  readonly l1Urls: readonly string[];
  readonly l2Urls: readonly string[];
  readonly inbox?: Address;
  readonly inboxWrapper?: Address;
  /** A network preset (mainnet, hoodi) instead of `inbox`: every fork's contracts and the Shasta activation. */
  readonly network?: "mainnet" | "hoodi";
  /** First block to ingest. @default head − 50 */
  readonly l1From?: number;
  readonly l2From?: number;
  /** Blocks held back from the head. @default 2 */
  readonly confirmations?: number;
}

/** How fast a crashed or failed step is retried: short leases and visibility, so within seconds. */
export interface LocalPipelineTiming {
  /** @default 8 */
  readonly visibilityTimeoutSeconds?: number;
  /** The processor's claim timeout; below the visibility timeout. @default 5 */
  readonly claimTimeoutSeconds?: number;
  /** @default 10 */
  readonly leaseSeconds?: number;
  /** The ingestor's poll interval inside one invocation. @default 250 */
  readonly pollIntervalMs?: number;
  /** @default 500 */
  readonly timeReserveMs?: number;
}

/** Where the chaos suite (or any scenario) puts its faults; every hook is optional and absent in `npm start`. */
export interface LocalPipelineHooks {
  /** Called once with the pipeline's own SQS and DynamoDB clients (the ones the handlers use; not the harness's). */
  readonly wrapClients?: (clients: { readonly sqs: SQSClient; readonly ddb: DynamoDBClient }) => void;
  /** Wraps the sink the processor writes to; the verification reads the unwrapped one. */
  readonly wrapSink?: (sink: Sink) => Sink;
  /** The ingestor's RPC URLs per chain, given the nodes' own (e.g. faulty proxies in front of them). */
  readonly rpcUrls?: (nodes: Readonly<Record<Chain, string>>) => Promise<Record<Chain, string[]>>;
  /** Adjusts each ingestor container's runtime (e.g. chain clients with short timeouts). */
  readonly ingestorRuntime?: (runtime: IngestorRuntime) => IngestorRuntime;
  /** The crash points of the ingestor and processor. @default none */
  readonly faults?: FaultInjector;
  /** Each message the ingestor published to the queue and SQS accepted (for duplicate publishing). */
  readonly onPublished?: (entry: SendMessageBatchRequestEntry) => void;
  /** Wraps the processor as the event source invokes it. */
  readonly wrapProcessor?: (processor: SqsBatchHandler) => SqsBatchHandler;
  readonly onBatch?: (outcome: BatchOutcome) => void;
  readonly onPollerError?: (error: unknown) => void;
}

export interface CreateLocalPipelineOptions {
  /** The devnet's story; ignored with `rpc`. @default seed 1, default knobs */
  readonly devnet?: {
    readonly seed?: number;
    readonly knobs?: Partial<DevnetKnobs>;
    /** The first n reorgs per chain wait until the ingestor has published the blocks they drop (seenReorgGate.ts). @default 0 */
    readonly seenReorgs?: number;
  };
  /** Watch these chains; no devnet and no local nodes are started. */
  readonly rpc?: RpcTarget;
  /** Keep the DuckDB file here. @default a temp file removed at stop */
  readonly duckdbPath?: string;
  /** Write to ClickHouse instead of DuckDB. */
  readonly clickhouse?: ClickHouseTarget;
  /** @default 16 */
  readonly partitions?: number;
  readonly timing?: LocalPipelineTiming;
  /** Ingestor containers: invocations rotate over them, so consecutive ones overlap and meet the lease. @default 1 */
  readonly ingestorContainers?: number;
  /** The local event source. @default concurrency 2, timeout (claim timeout − 1) s */
  readonly poller?: { readonly concurrency?: number; readonly timeoutMs?: number };
  /** More environment for the handlers (e.g. MAX_BLOCKS_PER_RANGE). */
  readonly env?: Readonly<Record<string, string>>;
  readonly hooks?: LocalPipelineHooks;
  /** Where the processor fetches claim-checked ingest payloads (the store the ingest API writes). */
  readonly objectStore?: ObjectStore;
  /** The processor appends every applied event to the live stream's log (in the state table), as on AWS. @default false */
  readonly eventLog?: boolean;
}

export interface IngestState {
  invocations: number;
  leaseStandDowns: number;
  failedInvocations: number;
  crashedContainers: number;
  lastError: unknown;
  /** The chain heads the ingestor last saw. */
  readonly head: Record<Chain, number | undefined>;
  /** The next block each chain's cursor will read: everything below it is published. */
  readonly next: Record<Chain, number>;
  readonly published: { headers: number; inboxEvents: number; reorgs: number };
}

export interface LocalPipeline {
  readonly parts: LocalParts;
  /** Absent when watching real chains. */
  readonly devnet: Devnet | undefined;
  /** The network the handlers watch (undefined for a Pacaya-only inbox given by address) and its contracts. */
  readonly network: TaikoNetwork | undefined;
  readonly inboxAddresses: readonly Address[];
  /** The first block ingested per chain. */
  readonly from: Readonly<Record<Chain, number>>;
  /** The nodes themselves (not the hooks' proxies), for verification. */
  readonly nodeUrls: Readonly<Record<Chain, string>>;
  /** The environment the handlers see. */
  readonly env: Readonly<Record<string, string>>;
  /** The sink as written (unwrapped), for reports and verification. */
  readonly sink: Sink & SqlQueryable;
  /** "duckdb <path>" or "clickhouse <url> database <name>". */
  readonly sinkDescription: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Clean clients for the harness (and the event source, which is AWS's own): no hook touches them. */
  readonly harness: { readonly sqs: SQSClient; readonly ddb: DynamoDBClient };
  /** The live stream's log the processor appends to (with `eventLog: true`), read on the harness client. */
  readonly eventLog: DynamoEventLog | undefined;
  readonly poller: EventSourcePoller;
  readonly processorMetrics: CountingMetrics;
  readonly ingestorMetrics: CountingMetrics;
  readonly ingest: Readonly<IngestState>;
  /** One ingestor invocation on the next container; a failure is counted, never thrown. */
  invokeIngestor(budgetMs: number): Promise<IngestorReport | undefined>;
  /** The EventBridge schedule: an invocation now and every `everyMs`, each polling for `budgetMs`. */
  startSchedule(everyMs: number, budgetMs: number): void;
  /** Stop the schedule and wait for the invocations in flight. */
  stopSchedule(): Promise<void>;
  /** Invoke until every cursor is past `target` (default: the heads less confirmations); false if `maxRounds` did not do it. */
  catchUp(options?: { maxRounds?: number; budgetMs?: number }): Promise<boolean>;
  /** Publish a message again (as after SQS's 5-minute window, or a retried send), after `delayMs`. */
  republish(entry: SendMessageBatchRequestEntry, dedupId: string, delayMs: number): void;
  /** Wait for the republished messages to be sent. */
  republished(): Promise<void>;
  /** The sink against the chain over what was ingested: canonical rows, gaps, duplicates, orphans. */
  verify(options?: { readonly excludedTxs?: ReadonlySet<string> }): Promise<VerifyReport>;
  stop(): Promise<void>;
}

export const LOCAL_TIMING_DEFAULTS = {
  visibilityTimeoutSeconds: 8,
  claimTimeoutSeconds: 5,
  leaseSeconds: 10,
  pollIntervalMs: 250,
  timeReserveMs: 500,
} as const satisfies Required<LocalPipelineTiming>;

/** The run reports what matters (DLQ reasons included); per-record logs would bury it. */
const LOG_LEVEL = (process.env.POWERTOOLS_LOG_LEVEL ?? "SILENT") as "SILENT";

type Cleanup = (() => Promise<unknown>)[];

/**
 * The whole pipeline on local parts, built once: the nodes (devnet or real chains), DynamoDB Local, the
 * SQS server, the sink; the ingestor and processor handlers (the factories Lambda runs) on the
 * pipeline's own clients; the local event source in front of the processor; the ingestor's schedule.
 * `npm start`, `tidemark local`, the drill, chaos and the end-to-end bench are scenarios on top of it.
 */
export async function createLocalPipeline(options: CreateLocalPipelineOptions = {}): Promise<LocalPipeline> {
  const timing = { ...LOCAL_TIMING_DEFAULTS, ...options.timing };
  const hooks = options.hooks ?? {};
  const parts = await startLocalParts({
    l1: options.rpc ? false : {},
    l2: options.rpc ? false : {},
    duckdbPath: options.duckdbPath,
    visibilityTimeoutSeconds: timing.visibilityTimeoutSeconds,
  });
  const cleanup: Cleanup = [() => parts.stop()];
  const stop = async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  };
  try {
    const gate = createSeenReorgGate(options.devnet?.seenReorgs ?? 0);
    const chains = await startChains(parts as unknown as LocalParts, options, cleanup, gate);
    const rpcUrls = (await hooks.rpcUrls?.(chains.nodeUrls)) ?? chains.rpcUrls;
    const sink = await openLocalSink(
      { clickhouse: options.clickhouse, duckdbPath: parts.duckdbPath },
      cleanup,
    );
    const env = handlerEnv({ parts, chains, rpcUrls, sinkEnv: sink.env, timing, options });
    const watched = ingestorNetworkOf(env);
    const clients = {
      sqs: new SQSClient(localAwsConfig(parts.sqs.endpoint)),
      ddb: new DynamoDBClient(localAwsConfig(parts.dynamodb.endpoint)),
    };
    cleanup.push(async () => clients.sqs.destroy());
    cleanup.push(async () => clients.ddb.destroy());
    hooks.wrapClients?.(clients);
    const harness = { sqs: parts.sqs.client, ddb: parts.dynamodb.client };
    const ingest = createIngestorPool({ env, clients, hooks, containers: options.ingestorContainers ?? 1 });
    observePublishing(clients.sqs, parts.resources.queueUrl, ingest.state, hooks);
    gate.watch(ingest.state.next);
    const consumer = createConsumer({
      parts,
      env,
      clients,
      harness,
      sink: sink.sink,
      hooks,
      timing,
      options,
    });
    consumer.poller.start();
    cleanup.unshift(() => consumer.poller.stop());
    cleanup.unshift(() => ingest.stopSchedule());
    const replays = createRepublisher(harness.sqs, parts.resources.queueUrl);
    cleanup.unshift(() => replays.settled());
    const confirmations = options.rpc ? (options.rpc.confirmations ?? 2) : 0;
    return {
      parts: parts as unknown as LocalParts,
      devnet: chains.devnet,
      network: watched.network,
      inboxAddresses: watched.inboxAddresses,
      from: chains.from,
      nodeUrls: chains.nodeUrls,
      env,
      sink: sink.sink,
      sinkDescription: sink.description,
      queueUrl: parts.resources.queueUrl,
      dlqUrl: parts.resources.dlqUrl,
      harness,
      eventLog: options.eventLog
        ? createDynamoEventLog({ ddb: harness.ddb, tableName: parts.resources.stateTable })
        : undefined,
      poller: consumer.poller,
      processorMetrics: consumer.metrics,
      ingestorMetrics: ingest.metrics,
      ingest: ingest.state,
      invokeIngestor: ingest.invoke,
      startSchedule: ingest.startSchedule,
      stopSchedule: ingest.stopSchedule,
      catchUp: (o) => catchUp(ingest, chains.nodeUrls, confirmations, o),
      republish: replays.republish,
      republished: replays.settled,
      verify: (o) =>
        verifyAgainstChain({
          ...o,
          l1Url: chains.nodeUrls.l1,
          l2Url: chains.nodeUrls.l2,
          inboxAddresses: watched.inboxAddresses,
          network: watched.network,
          l1Range: { from: chains.from.l1, to: ingest.state.next.l1 - 1 },
          l2Range: { from: chains.from.l2, to: ingest.state.next.l2 - 1 },
          query: (sql) => sink.sink.query(sql),
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Chains {
  readonly devnet: Devnet | undefined;
  /** The handlers' network settings (TAIKO_NETWORK and, for the devnet, the custom network it deployed). */
  readonly networkEnv: Readonly<Record<string, string>>;
  readonly from: Record<Chain, number>;
  readonly nodeUrls: Record<Chain, string>;
  readonly rpcUrls: Record<Chain, string[]>;
}

/** Step 1: the devnet deployed on the local nodes, or the real chains and where to start on them. */
async function startChains(
  parts: LocalParts,
  options: CreateLocalPipelineOptions,
  cleanup: Cleanup,
  gate: SeenReorgGate,
): Promise<Chains> {
  if (options.rpc) {
    const rpc = options.rpc;
    const head = async (url: string) =>
      Number(await createPublicClient({ transport: http(url) }).getBlockNumber());
    const back = (rpc.confirmations ?? 2) + 50;
    const nodeUrls = { l1: rpc.l1Urls[0] as string, l2: rpc.l2Urls[0] as string };
    return {
      devnet: undefined,
      from: {
        l1: rpc.l1From ?? Math.max(0, (await head(nodeUrls.l1)) - back),
        l2: rpc.l2From ?? Math.max(0, (await head(nodeUrls.l2)) - back),
      },
      nodeUrls,
      rpcUrls: { l1: [...rpc.l1Urls], l2: [...rpc.l2Urls] },
      networkEnv: rpcNetworkEnv(rpc),
    };
  }
  const nodeUrls = { l1: must(parts.l1, "l1").url, l2: must(parts.l2, "l2").url };
  const devnet = createDevnet({
    l1Url: nodeUrls.l1,
    l2Url: nodeUrls.l2,
    seed: options.devnet?.seed ?? 1,
    knobs: options.devnet?.knobs,
    beforeReorg: gate.beforeReorg,
  });
  const addresses = await devnet.deploy();
  // Everyone but the devnet reads the L2 through the proxy that gives Shasta blocks their extraData.
  const proxy = await startExtraDataProxy({ target: nodeUrls.l2, extraDataOf: devnet.extraDataOf });
  cleanup.unshift(() => proxy.stop());
  const served = { l1: nodeUrls.l1, l2: proxy.url };
  return {
    devnet,
    from: { l1: 0, l2: 0 },
    nodeUrls: served,
    rpcUrls: { l1: [served.l1], l2: [served.l2] },
    networkEnv: devnetNetworkEnv(addresses),
  };
}

/** Step 2: the environment the handlers read, as their constructs set it in Lambda. */
function handlerEnv(p: {
  parts: { env(): Record<string, string>; resources: { queueArn: string; dlqArn: string; dlqUrl: string } };
  chains: Chains;
  rpcUrls: Record<Chain, string[]>;
  sinkEnv: Record<string, string>;
  timing: Required<LocalPipelineTiming>;
  options: CreateLocalPipelineOptions;
}): Record<string, string> {
  const { chains, timing, options } = p;
  return {
    ...p.parts.env(),
    QUEUE_ARN: p.parts.resources.queueArn,
    DLQ_ARN: p.parts.resources.dlqArn,
    // Where the ingestor dead-letters input it rejects (undecodable logs), as the stack sets it.
    DLQ_URL: p.parts.resources.dlqUrl,
    L1_RPC_URLS: p.rpcUrls.l1.join(","),
    L2_RPC_URLS: p.rpcUrls.l2.join(","),
    ...chains.networkEnv,
    L1_START_BLOCK: String(chains.from.l1),
    L2_START_BLOCK: String(chains.from.l2),
    PARTITIONS: String(options.partitions ?? 16),
    POLL_INTERVAL_MS: String(timing.pollIntervalMs),
    TIME_RESERVE_MS: String(timing.timeReserveMs),
    LEASE_SECONDS: String(timing.leaseSeconds),
    CONFIRMATIONS: String(options.rpc ? (options.rpc.confirmations ?? 2) : 0),
    ...p.sinkEnv,
    CLAIM_TIMEOUT_SECONDS: String(timing.claimTimeoutSeconds),
    ...options.env,
  };
}

interface IngestorPool {
  readonly state: IngestState;
  readonly metrics: CountingMetrics;
  invoke(budgetMs: number): Promise<IngestorReport | undefined>;
  startSchedule(everyMs: number, budgetMs: number): void;
  stopSchedule(): Promise<void>;
  idle(): Promise<void>;
}

/**
 * Step 3: the ingestor handler in `containers` containers. Invocations rotate over them; a container
 * that crashed at a fault point is replaced by a fresh one (a new lease owner), as Lambda would.
 */
function createIngestorPool(p: {
  env: Record<string, string>;
  clients: { sqs: SQSClient; ddb: DynamoDBClient };
  hooks: LocalPipelineHooks;
  containers: number;
}): IngestorPool {
  const metrics = new CountingMetrics(ServiceName.ingestor);
  const container = () =>
    createIngestorHandler({
      logger: new Logger({ serviceName: ServiceName.ingestor, logLevel: LOG_LEVEL }),
      metrics,
      runtime: async () => {
        const base = await loadIngestorRuntime({ ...p.clients, env: p.env, owner: `local:${randomUUID()}` });
        const runtime = p.hooks.ingestorRuntime?.(base) ?? base;
        return p.hooks.faults ? { ...runtime, faults: p.hooks.faults } : runtime;
      },
    });
  const slots = Array.from({ length: p.containers }, container);
  const state: IngestState = {
    invocations: 0,
    leaseStandDowns: 0,
    failedInvocations: 0,
    crashedContainers: 0,
    lastError: undefined,
    head: { l1: undefined, l2: undefined },
    next: { l1: 0, l2: 0 },
    published: { headers: 0, inboxEvents: 0, reorgs: 0 },
  };
  const running = new Set<Promise<unknown>>();
  const invoke = (budgetMs: number): Promise<IngestorReport | undefined> => {
    const slot = state.invocations++ % slots.length;
    const handler = slots[slot] as ReturnType<typeof container>;
    const run = (async () => {
      try {
        const report = (await handler(
          {} as IngestorEvent,
          lambdaContext("tidemark-ingestor", budgetMs),
        )) as IngestorReport;
        for (const chain of report.chains) {
          if (chain.status === "lease-held") state.leaseStandDowns++;
          if (chain.head !== undefined) state.head[chain.chain] = chain.head;
          if (chain.next !== undefined)
            state.next[chain.chain] = Math.max(state.next[chain.chain], chain.next);
        }
        return report;
      } catch (error) {
        // What Lambda would retry on the next tick; a crashed container is replaced.
        if (isInjectedCrash(error)) {
          state.crashedContainers++;
          slots[slot] = container();
        } else {
          state.failedInvocations++;
          state.lastError = error;
        }
        return undefined;
      }
    })();
    running.add(run);
    void run.finally(() => running.delete(run));
    return run;
  };
  let timer: NodeJS.Timeout | undefined;
  const idle = async () => {
    while (running.size > 0) await Promise.all(running);
  };
  return {
    state,
    metrics,
    invoke,
    startSchedule(everyMs, budgetMs) {
      clearInterval(timer);
      void invoke(budgetMs);
      timer = setInterval(() => void invoke(budgetMs), everyMs);
    },
    async stopSchedule() {
      clearInterval(timer);
      timer = undefined;
      await idle();
    },
    idle,
  };
}

type PublishedEntry = SendMessageBatchRequestEntry;

/** Step 4: count what the ingestor published to the queue (what SQS accepted), and tell the hook. */
function observePublishing(
  sqs: SQSClient,
  queueUrl: string,
  state: IngestState,
  hooks: LocalPipelineHooks,
): void {
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const input = args.input as { QueueUrl?: string; Entries?: PublishedEntry[] };
      const output = result.output as { Successful?: { Id?: string }[] };
      if (input.QueueUrl !== queueUrl || !Array.isArray(input.Entries)) return result;
      const sent = new Set((output.Successful ?? []).map((s) => s.Id));
      for (const entry of input.Entries) {
        if (!sent.has(entry.Id)) continue;
        // A bundle counts each event it carries (lambdas/shared/eventBundle.ts).
        for (const type of eventTypesOf(entry)) {
          if (type === "l1_header" || type === "l2_header") state.published.headers++;
          else if (type === "reorg") state.published.reorgs++;
          else state.published.inboxEvents++;
        }
        hooks.onPublished?.(entry);
      }
      return result;
    },
    { step: "initialize", name: "tidemarkPublishObserver" },
  );
}

/** The event types an accepted entry carries: a plain message's attribute, or each bundled event's own. */
function eventTypesOf(entry: PublishedEntry): string[] {
  const type = entry.MessageAttributes?.[MessageAttribute.EventType]?.StringValue;
  if (type !== BUNDLE_TYPE) return [type ?? ""];
  return eventBodiesOf(entry.MessageBody ?? "").map(
    (body) => (JSON.parse(body) as { type?: string }).type ?? "",
  );
}

/** Step 5: the processor handler, on the pipeline's clients, behind the local event source (AWS's, so clean). */
function createConsumer(p: {
  parts: { resources: { queueUrl: string; queueArn: string; stateTable: string } };
  env: Record<string, string>;
  clients: { sqs: SQSClient; ddb: DynamoDBClient };
  harness: { sqs: SQSClient };
  sink: Sink;
  hooks: LocalPipelineHooks;
  timing: Required<LocalPipelineTiming>;
  options: CreateLocalPipelineOptions;
}): { poller: EventSourcePoller; metrics: CountingMetrics } {
  const metrics = new CountingMetrics(ServiceName.processor);
  const sink = p.hooks.wrapSink ? p.hooks.wrapSink(p.sink) : p.sink;
  const processor = createProcessorHandler({
    config: loadProcessorConfig(p.env),
    ddb: p.clients.ddb,
    sqs: p.clients.sqs,
    sinkFactory: async () => sink,
    logger: new Logger({ serviceName: ServiceName.processor, logLevel: LOG_LEVEL }),
    metrics,
    ...(p.hooks.faults ? { faults: p.hooks.faults } : {}),
    ...(p.options.objectStore ? { objectStore: p.options.objectStore } : {}),
    ...(p.options.eventLog
      ? { eventLog: createDynamoEventLog({ ddb: p.clients.ddb, tableName: p.parts.resources.stateTable }) }
      : {}),
  });
  const handler: SqsBatchHandler = (event: SQSEvent, context: Context) =>
    processor(event, context) as Promise<SQSBatchResponse>;
  const poller = createEventSourcePoller({
    sqs: p.harness.sqs,
    queueUrl: p.parts.resources.queueUrl,
    queueArn: p.parts.resources.queueArn,
    handler: p.hooks.wrapProcessor?.(handler) ?? handler,
    concurrency: p.options.poller?.concurrency ?? 2,
    waitTimeSeconds: 1,
    timeoutMs: p.options.poller?.timeoutMs ?? Math.max(1, p.timing.claimTimeoutSeconds - 1) * 1000,
    ...(p.hooks.onBatch ? { onBatch: p.hooks.onBatch } : {}),
    ...(p.hooks.onPollerError ? { onError: p.hooks.onPollerError } : {}),
  });
  return { poller, metrics };
}

/** Step 6: messages published again under a dedup id of the scenario's choice, on the harness client. */
function createRepublisher(sqs: SQSClient, queueUrl: string) {
  const pending: Promise<unknown>[] = [];
  return {
    republish(entry: PublishedEntry, dedupId: string, delayMs: number) {
      pending.push(
        (async () => {
          await sleepFor(delayMs);
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: entry.MessageBody,
              MessageGroupId: entry.MessageGroupId,
              MessageDeduplicationId: dedupId,
              MessageAttributes: entry.MessageAttributes,
            }),
          );
        })(),
      );
    },
    async settled() {
      while (pending.length > 0) await Promise.allSettled(pending.splice(0));
    },
  };
}

/** With the schedule off and the chains still: invoke until both cursors are past the heads. */
async function catchUp(
  ingest: IngestorPool,
  nodeUrls: Record<Chain, string>,
  confirmations: number,
  o: { maxRounds?: number; budgetMs?: number } = {},
): Promise<boolean> {
  await ingest.idle();
  const head = async (url: string) =>
    Number(await createPublicClient({ transport: http(url) }).getBlockNumber()) - confirmations;
  const target = { l1: await head(nodeUrls.l1), l2: await head(nodeUrls.l2) };
  const { next } = ingest.state;
  for (let round = 0; next.l1 <= target.l1 || next.l2 <= target.l2; round++) {
    if (round >= (o.maxRounds ?? 20)) return false;
    await ingest.invoke(o.budgetMs ?? 3_000);
    await ingest.idle();
  }
  return true;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`local part missing: ${what}`);
  return value;
}
