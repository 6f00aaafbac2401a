import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
  createIngestorHandler,
  type IngestorEvent,
  loadIngestorRuntime,
} from "../../lambdas/ingestor/handler.js";
import type { IngestorReport } from "../../lambdas/ingestor/ingestor.js";
import { loadProcessorConfig } from "../../lambdas/processor/config.js";
import { createProcessorHandler } from "../../lambdas/processor/createProcessorHandler.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { createDuckDbSink, type DuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import { createDevnet, type Devnet } from "../devnet/createDevnet.js";
import type { DevnetKnobs } from "../devnet/devnetKnobs.js";
import { createEventSourcePoller, type EventSourcePoller } from "../local/eventSourcePoller.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { type LocalParts, startLocalParts } from "../local/localParts.js";
import { CountingMetrics } from "../pipeline/countingMetrics.js";
import { lambdaContext } from "../pipeline/lambdaContext.js";
import { readConsumerSwitch } from "./localConsumerSwitch.js";
import { startSinkQueryServer } from "./sinkQueryServer.js";

export interface StartLocalStackOptions {
  /** Where the consumer switch file lives (`tidemark consumers pause|resume` writes it). */
  readonly consumerSwitchFile: string;
  /** Write the stack's environment here as KEY=value lines, for `tidemark --env-file`. @default not written */
  readonly envFile?: string;
  /** @default 1 */
  readonly seed?: number;
  readonly knobs?: Partial<DevnetKnobs>;
  /** Produce blocks continuously in the background. @default true */
  readonly produceBlocks?: boolean;
  /** New ingestor invocation every this many ms. @default 4000 */
  readonly scheduleEveryMs?: number;
  /** One invocation's budget. @default 3500 */
  readonly ingestorBudgetMs?: number;
  /** Queue visibility timeout. @default 8 */
  readonly visibilityTimeoutSeconds?: number;
  /** Processor claim timeout; below the visibility timeout. @default 5 */
  readonly claimTimeoutSeconds?: number;
  /** Wraps the sink the processor writes to (the drill injects a fault here). */
  readonly wrapSink?: (sink: Sink) => Sink;
}

export interface LocalStack {
  readonly parts: LocalParts;
  readonly devnet: Devnet;
  readonly sink: DuckDbSink;
  readonly poller: EventSourcePoller;
  /** The environment a handler sees, plus INBOX_ADDRESS, SINK_QUERY_URL and TIDEMARK_CONSUMER_SWITCH. */
  readonly env: Readonly<Record<string, string>>;
  readonly processorMetrics: CountingMetrics;
  /** Whether the poller is receiving, as last set from the switch file. */
  consumersEnabled(): boolean;
  /** Run one ingestor invocation now (besides the schedule). */
  ingestOnce(budgetMs?: number): Promise<IngestorReport>;
  /** Stop producing blocks and ingesting on the schedule (parts stay up). */
  stopProduction(): Promise<void>;
  stop(): Promise<void>;
}

const LOG_LEVEL = (process.env.POWERTOOLS_LOG_LEVEL ?? "SILENT") as "SILENT";

/**
 * The whole pipeline on local parts, running until stopped: the devnet producing blocks, the ingestor
 * handler on a schedule, the processor handler behind the local event source. Unlike `npm start` it
 * does not end by itself: it is the target of `tidemark --local` (through `tidemark local`) and of the drill.
 */
export async function startLocalStack(options: StartLocalStackOptions): Promise<LocalStack> {
  const visibility = options.visibilityTimeoutSeconds ?? 8;
  const claimTimeout = options.claimTimeoutSeconds ?? 5;
  const parts = await startLocalParts({ visibilityTimeoutSeconds: visibility });
  const cleanup: (() => Promise<unknown>)[] = [() => parts.stop()];
  const run = async (step: () => Promise<unknown>) => step().catch(() => undefined);
  try {
    const l1Url = parts.l1.url;
    const l2Url = parts.l2.url;
    const devnet = createDevnet({ l1Url, l2Url, seed: options.seed ?? 1, knobs: options.knobs });
    const addresses = await devnet.deploy();
    const sink = await createDuckDbSink({ path: parts.duckdbPath });
    cleanup.unshift(() => sink.close());
    const query = await startSinkQueryServer(sink);
    cleanup.unshift(() => query.stop());

    const env: Record<string, string> = {
      ...parts.env(),
      QUEUE_ARN: parts.resources.queueArn,
      DLQ_ARN: parts.resources.dlqArn,
      INBOX_ADDRESS: addresses.inbox,
      INBOX_WRAPPER_ADDRESS: addresses.wrapper,
      L1_START_BLOCK: "0",
      L2_START_BLOCK: "0",
      PARTITIONS: "16",
      POLL_INTERVAL_MS: "250",
      TIME_RESERVE_MS: "300",
      LEASE_SECONDS: "10",
      CONFIRMATIONS: "0",
      SINK: "duckdb",
      CLAIM_TIMEOUT_SECONDS: String(claimTimeout),
      SINK_QUERY_URL: query.url,
      TIDEMARK_CONSUMER_SWITCH: options.consumerSwitchFile,
    };

    const sqs = parts.sqs.client;
    const ddb = parts.dynamodb.client;
    const ingestorSqs = new SQSClient(localAwsConfig(parts.sqs.endpoint));
    cleanup.push(async () => ingestorSqs.destroy());
    const ingestor = createIngestorHandler({
      logger: new Logger({ serviceName: ServiceName.ingestor, logLevel: LOG_LEVEL }),
      metrics: new CountingMetrics("ingestor"),
      runtime: () => loadIngestorRuntime({ env, sqs: ingestorSqs, ddb, owner: `local:${randomUUID()}` }),
    });
    const ingestOnce = async (budgetMs = options.ingestorBudgetMs ?? 3_500) =>
      (await ingestor({} as IngestorEvent, lambdaContext("tidemark-ingestor", budgetMs))) as IngestorReport;

    const processorMetrics = new CountingMetrics("processor");
    const wrapped = options.wrapSink ? options.wrapSink(sink) : sink;
    const processor = createProcessorHandler({
      config: loadProcessorConfig(env),
      ddb,
      sqs,
      sinkFactory: async () => wrapped,
      logger: new Logger({ serviceName: ServiceName.processor, logLevel: LOG_LEVEL }),
      metrics: processorMetrics,
    });
    const poller = createEventSourcePoller({
      sqs,
      queueUrl: parts.resources.queueUrl,
      queueArn: parts.resources.queueArn,
      handler: (event: SQSEvent, context: Context) => processor(event, context) as Promise<SQSBatchResponse>,
      concurrency: 2,
      waitTimeSeconds: 1,
      timeoutMs: Math.max(1, claimTimeout - 1) * 1000,
    });
    cleanup.unshift(() => poller.stop());

    // The consumer switch: the local stand-in for the event source mapping's Enabled flag.
    let enabled = (await readConsumerSwitch(options.consumerSwitchFile)).enabled;
    if (enabled) poller.start();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const wanted = await readConsumerSwitch(options.consumerSwitchFile).catch(() => ({ enabled }));
        if (wanted.enabled === enabled) continue;
        // Reported disabled only once the batches in flight have finished, as a disabled mapping is.
        if (wanted.enabled) poller.start();
        else await poller.stop();
        enabled = wanted.enabled;
      }
    })();
    cleanup.unshift(async () => {
      watching = false;
      await watch;
    });

    // Production: the devnet mines, the ingestor runs on its schedule.
    const production = new AbortController();
    const running = new Set<Promise<unknown>>();
    const tick = () => {
      const p = ingestOnce().catch(() => undefined);
      running.add(p);
      void p.finally(() => running.delete(p));
    };
    tick();
    const scheduler = setInterval(tick, options.scheduleEveryMs ?? 4_000);
    const mining =
      options.produceBlocks === false
        ? Promise.resolve()
        : devnet.run({ signal: production.signal }).catch(() => undefined);
    let productionStopped: Promise<void> | undefined;
    const stopProduction = () => {
      productionStopped ??= (async () => {
        clearInterval(scheduler);
        production.abort();
        await mining;
        await Promise.all(running);
      })();
      return productionStopped;
    };
    cleanup.unshift(stopProduction);

    if (options.envFile) {
      const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      await writeFile(
        options.envFile,
        `# written by tidemark local; removed when it stops\n${lines.join("\n")}\n`,
      );
    }

    let stopping: Promise<void> | undefined;
    return {
      parts: parts as unknown as LocalParts,
      devnet,
      sink,
      poller,
      env,
      processorMetrics,
      consumersEnabled: () => enabled,
      ingestOnce,
      stopProduction,
      stop: () => {
        stopping ??= (async () => {
          for (const step of cleanup.splice(0)) await run(step);
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const step of cleanup) await run(step);
    throw error;
  }
}
