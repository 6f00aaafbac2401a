import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { LambdaContext } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKeys } from "../../../lambdas/ingestApi/apiKeys.js";
import { createIngestLambdaHandler } from "../../../lambdas/ingestApi/handler.js";
import { createIngestMaintenanceHandler } from "../../../lambdas/ingestApi/maintenanceHandler.js";
import { IngestApiEnv } from "../../../lambdas/shared/environment.js";
import { IngestApiMetric } from "../../../lambdas/shared/metricNames.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  apiGatewayEvent,
  body,
  drainQueue,
  event,
  type IngestParts,
  provisionIngest,
  startIngestParts,
} from "./helpers.js";

// Integration: the ingest API's two Lambda entry points (request function, scheduled maintenance) as
// Lambda runs them, on DynamoDB Local and the local SQS server, with the signing key from a "secret".
const SIGNING_KEY = "11".repeat(32);
const SECRET_ID = "tidemark/dev/ingest-signing-key";

let parts: IngestParts;
beforeAll(async () => {
  parts = await startIngestParts();
});
afterAll(async () => {
  await parts?.stop();
});

const silentLogger = () => new Logger({ serviceName: "test", logLevel: "SILENT" });

const context = {} as LambdaContext;

describe("the ingest API's Lambda functions", () => {
  it("accept, answer a repeat with the same ack, flush their metrics, and commit on schedule", async () => {
    const names = await provisionIngest(parts);
    const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
    const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
    const env = {
      [IngestApiEnv.IngestTable]: names.tableName,
      [IngestApiEnv.QueueUrl]: names.queueUrl,
      [IngestApiEnv.SigningKeySecretId]: SECRET_ID,
      INGEST_COMMIT_EVERY_EVENTS: "2",
    };
    const fetchSecret = vi.fn(async (id: string) => (id === SECRET_ID ? SIGNING_KEY : undefined));
    const metrics = new Metrics({ namespace: "Test", serviceName: "ingestApi" });
    const added = vi.spyOn(metrics, "addMetric");
    const published = vi.spyOn(metrics, "publishStoredMetrics").mockReturnValue(undefined as never);
    const handler = createIngestLambdaHandler({
      env,
      clients: { ddb, sqs, fetchSecret },
      metrics,
      logger: silentLogger(),
    });
    const { apiKey } = await createApiKeys({ ddb, tableName: names.tableName }).createKey({
      name: "producer",
      streams: ["ops"],
    });
    const post = () =>
      handler(
        apiGatewayEvent(
          "POST",
          "/v1/events",
          apiKey,
          body(event("ops", "n-1", { text: "a" }), event("ops", "n-2", { text: "b" })),
        ),
        context,
      );
    const first = await post();
    expect(first.statusCode).toBe(200);
    const firstResults = JSON.parse(first.body as string).results;
    expect(firstResults.map((r: { status: string; sequence: number }) => [r.status, r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
    ]);
    const again = JSON.parse((await post()).body as string).results;
    expect(again.map((r: { status: string; eventId: string }) => [r.status, r.eventId])).toEqual(
      firstResults.map((r: { eventId: string }) => ["duplicate", r.eventId]),
    );
    expect(added).toHaveBeenCalledWith(IngestApiMetric.IdempotentHits, expect.anything(), 2);
    expect(published).toHaveBeenCalledTimes(2);
    expect(fetchSecret).toHaveBeenCalledTimes(1);
    expect(await drainQueue(parts.sqsServer.endpoint, names.queueUrl)).toHaveLength(2);

    const maintenanceMetrics = new Metrics({ namespace: "Test", serviceName: "ingestMaintenance" });
    vi.spyOn(maintenanceMetrics, "publishStoredMetrics").mockReturnValue(undefined as never);
    const lag = vi.spyOn(maintenanceMetrics, "addMetric");
    const later = Date.now() + 120_000;
    const maintenance = createIngestMaintenanceHandler({
      env,
      clients: { ddb, sqs, fetchSecret },
      metrics: maintenanceMetrics,
      logger: silentLogger(),
      now: () => later,
    });
    const report = await maintenance();
    expect(report.streams).toEqual([expect.objectContaining({ stream: "ops", head: 2, anchoredThrough: 0 })]);
    // Committed, not anchored (no anchor configured): the lag is the oldest event's age.
    expect(report.streams[0]?.anchoringLagSeconds).toBeGreaterThanOrEqual(119);
    expect(lag).toHaveBeenCalledWith(
      IngestApiMetric.AnchoringLagSeconds,
      "Seconds",
      report.streams[0]?.anchoringLagSeconds,
    );
    ddb.destroy();
    sqs.destroy();
  });

  it("fail the cold start naming a missing setting, and retry the build on the next request", async () => {
    const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
    const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
    const env: Record<string, string> = {
      [IngestApiEnv.QueueUrl]: "q",
      [IngestApiEnv.SigningKeySecretId]: SECRET_ID,
    };
    const handler = createIngestLambdaHandler({
      env,
      clients: { ddb, sqs, fetchSecret: async () => SIGNING_KEY },
      metrics: new Metrics({ namespace: "Test" }),
      logger: silentLogger(),
    });
    await expect(handler(apiGatewayEvent("GET", "/v1/keys", "k"), context)).rejects.toThrow(
      /^INGEST_TABLE: required/,
    );
    const maintenance = createIngestMaintenanceHandler({
      env: { ...env, [IngestApiEnv.IngestTable]: "t", [IngestApiEnv.AnchorRegistry]: "0x1234" },
      clients: { ddb, sqs, fetchSecret: async () => SIGNING_KEY },
      metrics: new Metrics({ namespace: "Test" }),
      logger: silentLogger(),
    });
    await expect(maintenance()).rejects.toThrow(/^ANCHOR_SECRET_ID: required with ANCHOR_REGISTRY_ADDRESS/);
    ddb.destroy();
    sqs.destroy();
  });
});
