import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { DynamoEventLog } from "../api/stream/createDynamoEventLog.js";
import type { ObjectStore } from "../ingestApi/objectStore.js";
import { createMetrics } from "../shared/createMetrics.js";
import type { FaultInjector } from "../shared/faultPoints.js";
import { ServiceName } from "../shared/serviceNames.js";
import {
  isSmokeEvent,
  type SmokeEvent,
  type SmokeResult,
  smokeCheck,
  smokeResult,
} from "../shared/smokeTest.js";
import { traceInvocation } from "../shared/tracing.js";
import type { Sink } from "../sink/Sink.js";
import type { ProcessorConfig, SinkConfig } from "./config.js";
import { type BatchProcessor, createBatchProcessor } from "./processBatch.js";
import { withEventLog } from "./withEventLog.js";

/** Builds the sink `config.sink` names (lambdas/sink's createSink in Lambda; anything in tests). */
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
  /** The live stream's log: each record the sink made durable is appended to it (withEventLog). */
  readonly eventLog?: Pick<DynamoEventLog, "append">;
}

export type ProcessorEvent = SQSEvent | SmokeEvent;
export type ProcessorResult = SQSBatchResponse | SmokeResult;
export type ProcessorHandler = middy.MiddyfiedHandler<ProcessorEvent, ProcessorResult, Error, Context>;

/**
 * The processor's Lambda handler around injected clients: middleware first (logger context, EMF
 * metrics flush), then the domain code. No batch middleware: middy's runs records concurrently,
 * which breaks FIFO order within a message group.
 */
export function createProcessorHandler(dependencies: ProcessorHandlerDependencies): ProcessorHandler {
  const { config, ddb, sqs, sinkFactory } = dependencies;
  const logger = dependencies.logger ?? new Logger({ serviceName: ServiceName.processor });
  const metrics = dependencies.metrics ?? createMetrics(ServiceName.processor);

  let sink: Promise<Sink> | undefined;
  const getSink = (): Promise<Sink> => {
    sink ??= sinkFactory(config.sink)
      .then((s) => withEventLog(s, dependencies.eventLog, metrics))
      .catch((error: unknown) => {
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
    const table = async (tableName: string) => {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus !== "ACTIVE")
        throw new Error(`${tableName} is ${Table?.TableStatus ?? "missing"}`);
      return `${tableName} is ACTIVE`;
    };
    const result = smokeResult(
      await Promise.all([
        smokeCheck(
          "config",
          async () => `sink ${config.sink.kind}, claim lease ${config.claimTimeoutSeconds} s`,
        ),
        smokeCheck("idempotencyTable", () => table(config.idempotencyTable)),
        smokeCheck("stateTable", () => table(config.stateTable)),
        smokeCheck("deadLetterQueue", async () => {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: config.dlqUrl, AttributeNames: ["QueueArn"] }),
          );
          return `reachable: ${Attributes?.QueueArn ?? config.dlqUrl}`;
        }),
        smokeCheck("sink", async () => {
          const health = await (await getSink()).health();
          if (!health.ok) throw new Error(health.detail);
          return `${health.detail} (${health.ms} ms)`;
        }),
      ]),
    );
    (result.ok ? logger.info : logger.error).call(logger, "smoke test", { ...result });
    return result;
  }

  return middy<ProcessorEvent, ProcessorResult, Error, Context>()
    .use(traceInvocation())
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      if (isSmokeEvent(event)) return smoke();
      return (await getProcessor()).process(event.Records, context);
    });
}

const now = (d: ProcessorHandlerDependencies): { now?: () => number } => (d.now ? { now: d.now } : {});
