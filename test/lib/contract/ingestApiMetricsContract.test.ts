import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { LambdaContext } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKeys } from "../../../lambdas/ingestApi/apiKeys.js";
import { createIngestLambdaHandler } from "../../../lambdas/ingestApi/handler.js";
import { createMetrics } from "../../../lambdas/shared/createMetrics.js";
import { IngestApiEnv, TIDEMARK_STAGE } from "../../../lambdas/shared/environment.js";
import { IngestApiMetric } from "../../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../../lambdas/shared/serviceNames.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  apiGatewayEvent,
  body,
  event,
  type IngestParts,
  provisionIngest,
  startIngestParts,
} from "../../lambdas/ingestApi/helpers.js";
import { synthStage } from "../synthStage.js";
import { type MetricIdentity, metricKey, recordEmf } from "./emfRecorder.js";
import { type MetricRead, metricsRead } from "./templateMetrics.js";

// The ingest function is not run by metricsContract.test.ts (it runs the local pipeline): here its Lambda
// handler answers one request 200 and one 5xx, and what it emitted is held against what the stage reads.
const STAGE = "dev";
const SIGNING_KEY = "22".repeat(32);
const SECRET_ID = "tidemark/dev/ingest-signing-key";

let parts: IngestParts;
let reads: MetricRead[];
let emitted: MetricIdentity[];
let statuses: number[];

beforeAll(async () => {
  // Prepare: the dimensions a deployed function emits with (`stage` from TIDEMARK_STAGE, as the construct sets it).
  process.env[TIDEMARK_STAGE] = STAGE;
  parts = await startIngestParts();
  const names = await provisionIngest(parts);
  const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
  const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
  // A malformed transaction is a bug retrying cannot fix: the route answers 500 (internal).
  let failTransactions = false;
  ddb.middlewareStack.add(
    (next) => async (args) => {
      if (failTransactions && "TransactItems" in (args.input as object)) {
        throw Object.assign(new Error("injected: malformed transaction"), { name: "ValidationException" });
      }
      return next(args);
    },
    { step: "initialize", name: "injectValidationFailure" },
  );
  const recorder = recordEmf();
  try {
    const handler = createIngestLambdaHandler({
      env: {
        [IngestApiEnv.IngestTable]: names.tableName,
        [IngestApiEnv.QueueUrl]: names.queueUrl,
        [IngestApiEnv.SigningKeySecretId]: SECRET_ID,
      },
      clients: { ddb, sqs, fetchSecret: async (id) => (id === SECRET_ID ? SIGNING_KEY : undefined) },
      metrics: createMetrics(ServiceName.ingestApi),
      logger: new Logger({ serviceName: ServiceName.ingestApi, logLevel: "SILENT" }),
    });
    const { apiKey } = await createApiKeys({ ddb, tableName: names.tableName }).createKey({
      name: "contract",
      streams: ["*"],
    });
    const post = async (clientEventId: string) =>
      (
        await handler(
          apiGatewayEvent("POST", "/v1/events", apiKey, body(event("contract", clientEventId))),
          {} as LambdaContext,
        )
      ).statusCode;
    // Act
    const ok = await post("one");
    failTransactions = true;
    const failed = await post("two");
    statuses = [ok, failed];
  } finally {
    recorder.stop();
    delete process.env[TIDEMARK_STAGE];
    ddb.destroy();
    sqs.destroy();
  }
  emitted = recorder.emitted();
  reads = metricsRead(synthStage(STAGE).service.toJSON().Resources);
}, 600_000);

afterAll(async () => {
  delete process.env[TIDEMARK_STAGE];
  await parts?.stop();
});

const serviceOf = (m: MetricIdentity) => m.dimensions.find((d) => d.startsWith("service="))?.slice(8) ?? "";

describe("metrics contract: the ingest API function", () => {
  it("counts an answered 5xx, and the server-errors alarm and the dashboard read it as it is emitted", () => {
    // Assess
    expect(statuses).toEqual([200, 500]);
    const serverErrors = emitted.filter((m) => m.name === IngestApiMetric.ServerErrors);
    expect(serverErrors.map(metricKey)).toEqual([
      `Tidemark/${IngestApiMetric.ServerErrors} {service=${ServiceName.ingestApi}, stage=${STAGE}}`,
    ]);
    const readers = reads.filter((r) => r.name === IngestApiMetric.ServerErrors);
    expect(readers.map((r) => r.reader)).toEqual(
      expect.arrayContaining([
        "alarm tidemark-dev-ingest-api-server-errors",
        expect.stringMatching(/^dashboard Ingest API/),
      ]),
    );
    for (const r of readers) expect(metricKey(r)).toBe(metricKey(serverErrors[0] as MetricIdentity));
  });

  it("reads every ingest API metric the function emitted with the dimension set it emits", () => {
    // Assess
    const emittedKeys = new Set(emitted.map(metricKey));
    const emittedNames = new Set(emitted.map((m) => m.name));
    const unmatched = reads
      .filter((r) => serviceOf(r) === ServiceName.ingestApi && emittedNames.has(r.name))
      .filter((r) => !emittedKeys.has(metricKey(r)))
      .map((r) => `${r.reader} reads ${metricKey(r)}`);
    expect(emittedNames.has(IngestApiMetric.EventsAccepted)).toBe(true);
    expect(unmatched).toEqual([]);
  });
});
