import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { lambdaAwsRequester } from "../shared/awsLambdaRequester.js";
import { createSqsJsonClient, type SqsBatchSender } from "../shared/awsSqs.js";
import { createMetrics } from "../shared/createMetrics.js";
import { AwsEnv } from "../shared/environment.js";
import { PermanentError, RetryableError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";
import type { FaultInjector } from "../shared/faultPoints.js";
import { fetchSecretString } from "../shared/fetchSecretString.js";
import { ServiceName } from "../shared/serviceNames.js";
import { isSmokeEvent, type SmokeCheck, type SmokeResult } from "../shared/smokeTest.js";
import { traced, traceInvocation } from "../shared/tracing.js";
import { type ChainClient, createChainClient, getHead } from "./chainReader.js";
import { watchedInboxAddresses } from "./chainSettings.js";
import { type Env, type IngestorConfig, loadIngestorConfig, resolveRpcUrls } from "./config.js";
import { type CursorStore, createDynamoCursorStore } from "./cursorStore.js";
import { dryRunPoll } from "./dryRunPoll.js";
import { createIngestor, type IngestorReport } from "./ingestor.js";
import { createPowertoolsMetricsSink } from "./observability.js";

/** Everything an invocation needs besides logging and metrics; built once per container. */
export interface IngestorRuntime {
  readonly config: IngestorConfig;
  readonly clients: Partial<Readonly<Record<Chain, ChainClient>>>;
  readonly sqs: SQSClient;
  /** Publishes events (the light SQS client in Lambda); absent, `sqs` does. */
  readonly sqsBatch?: SqsBatchSender;
  readonly ddb?: DynamoDBClient;
  /** Overrides the DynamoDB cursor store built from `ddb`. */
  readonly cursorStore?: CursorStore;
  /** Lease owner id of this container. */
  readonly owner: string;
  /** The chaos suite's crash points; absent in production wiring. */
  readonly faults?: FaultInjector;
}

export interface IngestorHandlerDependencies {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** A ready runtime, or a loader run on the first invocation (cold start) and cached; a failed load is retried next time. */
  readonly runtime: IngestorRuntime | (() => Promise<IngestorRuntime>);
  /** @default Date.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type SmokeReport = SmokeResult;

/** `{"smoke": true}` asks for a dry run; anything else (the EventBridge schedule) is a polling run. */
export type IngestorEvent = { readonly smoke?: boolean } & Record<string, unknown>;

export function createIngestorHandler(dependencies: IngestorHandlerDependencies) {
  const { logger, metrics } = dependencies;
  const now = dependencies.now ?? Date.now;
  let loading: Promise<IngestorRuntime> | undefined;
  const runtime = (): Promise<IngestorRuntime> => {
    const source = dependencies.runtime;
    if (typeof source !== "function") return Promise.resolve(source);
    loading ??= source().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };

  const handle = async (event: IngestorEvent, context: Context): Promise<IngestorReport | SmokeReport> => {
    if (isSmokeEvent(event)) return smokeTest(runtime, logger);
    const rt = await runtime();
    const sink = createPowertoolsMetricsSink(metrics);
    // The lease owner is this invocation, not only this container: two runs that share an owner would
    // pass each other's lease conditions (chaos seed 18), so the lease must never depend on Lambda
    // running one invocation per container. A crashed run's lease expires, and the next run takes over.
    const owner = `${rt.owner}/${context.awsRequestId}`;
    const ingestor = createIngestor({ ...rt, owner, metrics: sink, logger, now, sleep: dependencies.sleep });
    try {
      const deadline = now() + context.getRemainingTimeInMillis() - rt.config.timeReserveMs;
      const report = await ingestor.pollUntil(deadline);
      logger.info("ingestor run finished", { report });
      const failed = report.chains.filter((c) => c.status === "failed");
      if (failed.length > 0) {
        // Fail the invocation so the Lambda Errors alarm sees a chain that is stuck; progress made is kept.
        const message = failed.map((c) => `${c.chain}: ${c.error?.name}: ${c.error?.message}`).join("; ");
        throw failed.every((c) => c.error?.retryable)
          ? new RetryableError(`ingestion failed: ${message}`, { context: { report } })
          : new PermanentError(`ingestion failed: ${message}`, { context: { report } });
      }
      return report;
    } finally {
      sink.flush();
    }
  };

  // No early timeout: middy's default answers 5 ms before the deadline while the poll goes on writing
  // cursors and publishing outside any invocation (frozen, then resumed beside the next one on Lambda;
  // still running after a local "pause"). The poll keeps its own time reserve; past it, Lambda's hard
  // timeout ends the process, which the cursor and lease are built to survive.
  return middy<IngestorEvent, IngestorReport | SmokeReport, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(traceInvocation())
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(handle);
}

/**
 * The dry run for the pre-traffic hook: every dependency reachable, and the next poll read and decoded
 * against the real RPC (dryRunPoll.ts); nothing written.
 */
async function smokeTest(runtime: () => Promise<IngestorRuntime>, logger: Logger): Promise<SmokeReport> {
  let rt: IngestorRuntime;
  try {
    rt = await runtime();
  } catch (error) {
    const checks = [{ name: "config", ok: false, detail: messageOf(error) }];
    logger.error("smoke test failed", { checks });
    return { ok: false, checks };
  }
  const check = async (name: string, run: () => Promise<string>): Promise<SmokeCheck> => {
    try {
      return { name, ok: true, detail: await run() };
    } catch (error) {
      return { name, ok: false, detail: messageOf(error) };
    }
  };
  const store =
    rt.cursorStore ??
    (rt.ddb
      ? createDynamoCursorStore({
          ddb: rt.ddb,
          tableName: rt.config.stateTable,
          leaseSeconds: rt.config.leaseSeconds,
          recentHashes: rt.config.recentHashes,
        })
      : undefined);
  const checks = await Promise.all([
    Promise.resolve({ name: "config", ok: true, detail: `chains ${rt.config.chains.join(",")}` }),
    ...rt.config.chains.map((chain) =>
      check(`rpc:${chain}`, async () => {
        const client = rt.clients[chain];
        if (!client) throw new Error(`no RPC client for ${chain}`);
        return `head ${(await getHead(client)).number}`;
      }),
    ),
    ...rt.config.chains.map((chain) =>
      check(`dry-run:${chain}`, async () => {
        const client = rt.clients[chain];
        if (!client) throw new Error(`no RPC client for ${chain}`);
        if (!store) throw new Error("no cursor store configured");
        const inboxAddresses = watchedInboxAddresses(rt.config);
        return dryRunPoll({ chain, client, config: rt.config, inboxAddresses, store, logger });
      }),
    ),
    ...rt.config.chains.map((chain) =>
      check(`table:cursor#${chain}`, async () => {
        if (!store) throw new Error("no cursor store configured");
        const cursor = await store.read(chain);
        return cursor.next === undefined ? "no cursor yet" : `next ${cursor.next}`;
      }),
    ),
    check("queue", async () => {
      const out = await rt.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: rt.config.queueUrl, AttributeNames: ["FifoQueue"] }),
      );
      if (out.Attributes?.FifoQueue !== "true") throw new Error("the queue is not a FIFO queue");
      return "FIFO queue readable";
    }),
  ]);
  const report = { ok: checks.every((c) => c.ok), checks };
  (report.ok ? logger.info : logger.error).call(logger, "smoke test finished", { checks });
  return report;
}

export interface LoadIngestorRuntimeParameters {
  readonly env: Env;
  readonly sqs: SQSClient;
  /** Publishes events; absent, `sqs` does. */
  readonly sqsBatch?: SqsBatchSender;
  readonly ddb: DynamoDBClient;
  /** @default fetchSecretString (Secrets Manager over the light path, cached an hour) */
  readonly fetchSecret?: (secretId: string) => Promise<string | undefined>;
  /** @default `<function version>:<random uuid>` */
  readonly owner?: string;
}

/** Build the runtime from the environment: config, RPC URLs (secret resolved), one viem client per chain. */
export async function loadIngestorRuntime(
  parameters: LoadIngestorRuntimeParameters,
): Promise<IngestorRuntime> {
  const config = loadIngestorConfig(parameters.env);
  const fetchSecret = parameters.fetchSecret ?? fetchSecretString;
  const urls = await resolveRpcUrls(config, fetchSecret);
  const clients: Partial<Record<Chain, ChainClient>> = {};
  for (const chain of config.chains) clients[chain] = createChainClient({ urls: urls[chain] });
  return {
    config,
    clients,
    sqs: parameters.sqs,
    ...(parameters.sqsBatch ? { sqsBatch: parameters.sqsBatch } : {}),
    ddb: parameters.ddb,
    owner: parameters.owner ?? `${parameters.env.AWS_LAMBDA_FUNCTION_VERSION ?? "local"}:${randomUUID()}`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// Module scope: clients and instrumentation are built once per container; config on the first invocation.
const logger = new Logger({ serviceName: ServiceName.ingestor });
const metrics = createMetrics(ServiceName.ingestor);
const sqs = traced(new SQSClient({}));
const ddb = traced(new DynamoDBClient({}));

export const handler = createIngestorHandler({
  logger,
  metrics,
  // Publishing goes over the light SQS path: the SDK's per-request CPU was the backfill's bottleneck.
  runtime: async () =>
    loadIngestorRuntime({
      env: process.env,
      sqs,
      sqsBatch: createSqsJsonClient({
        requester: lambdaAwsRequester(process.env),
        endpoint: process.env[AwsEnv.EndpointUrlSqs],
      }),
      ddb,
    }),
});
