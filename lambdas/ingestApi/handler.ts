import { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { createMetrics } from "../shared/createMetrics.js";
import { fetchSecretString } from "../shared/fetchSecretString.js";
import { ServiceName } from "../shared/serviceNames.js";
import { traced, withTracing } from "../shared/tracing.js";
import { createIngestApp } from "./createIngestApp.js";
import { createLambdaIngest, type LambdaIngestClients } from "./lambdaIngest.js";

export interface IngestLambdaHandlerDependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients: Omit<LambdaIngestClients, "metrics">;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * POST/GET /v1/events, receipts, proofs and keys behind API Gateway (HTTP API, payload 2.0). The
 * dependencies are built on the first request and kept (a failed build is retried on the next); the
 * request's metrics (accepted, duplicates, rejected, latency) are flushed as EMF after each answer.
 */
export function createIngestLambdaHandler(d: IngestLambdaHandlerDependencies) {
  let app: Promise<ReturnType<typeof handle>> | undefined;
  const build = () =>
    createLambdaIngest(d.env, { ...d.clients, metrics: d.metrics }).then(({ deps }) =>
      handle(createIngestApp(deps)),
    );
  return async (event: LambdaEvent, context: LambdaContext) => {
    app ??= build().catch((error: unknown) => {
      app = undefined;
      d.logger.error("ingest API cold start failed", { error });
      throw error;
    });
    try {
      return await (await app)(event, context);
    } finally {
      d.metrics.publishStoredMetrics();
    }
  };
}

export const handler = withTracing(
  createIngestLambdaHandler({
    env: process.env,
    clients: {
      ddb: traced(new DynamoDBClient({})),
      sqs: traced(new SQSClient({})),
      s3: traced(new S3Client({})),
      fetchSecret: fetchSecretString,
    },
    metrics: createMetrics(ServiceName.ingestApi),
    logger: new Logger({ serviceName: ServiceName.ingestApi }),
  }),
);
