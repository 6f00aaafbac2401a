import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { ObjectStore } from "../ingestApi/objectStore.js";
import type { FaultInjector } from "../shared/faultPoints.js";
import { METRIC_NAMESPACE } from "../shared/metricNames.js";
import type { Sink } from "../sink/Sink.js";
import type { ProcessorConfig, SinkConfig } from "./config.js";
import { type BatchProcessor, createBatchProcessor } from "./processBatch.js";

/** Builds the configured sink adapter (lambdas/sink's createSinkFromConfig in Lambda; anything in tests). */
export type SinkFactory = (config: SinkConfig) => Promise<Sink>;

export interface ProcessorHandlerDependencies {
  readonly config: ProcessorConfig;
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Called once, at the first invocation (adapters are heavy: built lazily, reused while the container lives). */
  readonly sinkFactory: SinkFactory;
  /** @default a Powertools Logger, service "processor" */
  readonly logger?: Logger;
  /** @default Powertools Metrics, namespace "Tidemark", service "processor" */
  readonly metrics?: Metrics;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** The chaos suite's crash points; absent in production wiring. */
  readonly faults?: FaultInjector;
  /** Where claim-checked API event payloads are: S3 in Lambda, the file store or fauxqs's S3 locally. */
  readonly objectStore?: ObjectStore;
}

/** The pre-traffic hook's dry run: reads config, checks dependencies answer, writes nothing. */
export interface SmokeEvent {
  readonly smoke: true;
}

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

export type ProcessorEvent = SQSEvent | SmokeEvent;
export type ProcessorResult = SQSBatchResponse | SmokeResult;
export type ProcessorHandler = middy.MiddyfiedHandler<ProcessorEvent, ProcessorResult, Error, Context>;

/** A sink adapter may offer a dry-run check (the DuckDB one does); otherwise opening it is the check. */
type CheckableSink = Sink & { check?(): Promise<{ ok: boolean; detail: string }> };

/**
 * The processor's Lambda handler around injected clients: middleware first (logger context, EMF
 * metrics flush), then the domain code. No batch middleware: middy's runs records concurrently,
 * which breaks FIFO order within a message group.
 */
export function createProcessorHandler(dependencies: ProcessorHandlerDependencies): ProcessorHandler {
  const { config, ddb, sqs, sinkFactory } = dependencies;
  const logger = dependencies.logger ?? new Logger({ serviceName: "processor" });
  const metrics =
    dependencies.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: "processor" });

  let sink: Promise<Sink> | undefined;
  const getSink = (): Promise<Sink> => {
    sink ??= sinkFactory(config.sink).catch((error: unknown) => {
      sink = undefined; // the next invocation tries again
      throw error;
    });
    return sink;
  };
  let processor: Promise<BatchProcessor> | undefined;
  const getProcessor = (): Promise<BatchProcessor> => {
    processor ??= getSink().then(
      (s) =>
        createBatchProcessor({
          ddb,
          sqs,
          sink: s,
          config,
          metrics,
          logger,
          faults: dependencies.faults,
          objectStore: dependencies.objectStore,
          ...now(dependencies),
        }),
      (error: unknown) => {
        processor = undefined;
        throw error;
      },
    );
    return processor;
  };

  async function smoke(): Promise<SmokeResult> {
    const check = async (name: string, run: () => Promise<string>): Promise<SmokeCheck> => {
      try {
        return { name, ok: true, detail: await run() };
      } catch (error) {
        return {
          name,
          ok: false,
          detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        };
      }
    };
    const table = async (tableName: string) => {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus !== "ACTIVE")
        throw new Error(`${tableName} is ${Table?.TableStatus ?? "missing"}`);
      return `${tableName} is ACTIVE`;
    };
    const checks = await Promise.all([
      check("config", async () => `sink ${config.sink.kind}, claim lease ${config.claimTimeoutSeconds} s`),
      check("idempotencyTable", () => table(config.idempotencyTable)),
      check("stateTable", () => table(config.stateTable)),
      check("deadLetterQueue", async () => {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: config.dlqUrl, AttributeNames: ["QueueArn"] }),
        );
        return `reachable: ${Attributes?.QueueArn ?? config.dlqUrl}`;
      }),
      check("sink", async () => {
        const s = (await getSink()) as CheckableSink;
        if (s.check === undefined) return `${config.sink.kind} sink opened`;
        const result = await s.check();
        if (!result.ok) throw new Error(result.detail);
        return result.detail;
      }),
    ]);
    const ok = checks.every((c) => c.ok);
    (ok ? logger.info : logger.error).call(logger, "smoke test", { ok, checks });
    return { ok, checks };
  }

  return middy<ProcessorEvent, ProcessorResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      if (isSmokeEvent(event)) return smoke();
      return (await getProcessor()).process(event.Records, context);
    });
}

function isSmokeEvent(event: ProcessorEvent): event is SmokeEvent {
  return (event as Partial<SmokeEvent>).smoke === true;
}

const now = (d: ProcessorHandlerDependencies): { now?: () => number } => (d.now ? { now: d.now } : {});
