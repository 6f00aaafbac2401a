import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import type { LambdaContext, LambdaEvent } from "hono/aws-lambda";
import { createStreamStats } from "../../../lambdas/api/stream/streamStats.js";
import { CONNECTIONS_TABLE_KEY } from "../../../lambdas/api/stream/webSocketConnections.js";
import { createApiKeys } from "../../../lambdas/ingestApi/apiKeys.js";
import { createIngestLambdaHandler } from "../../../lambdas/ingestApi/handler.js";
import { createIngestMaintenanceHandler } from "../../../lambdas/ingestApi/maintenanceHandler.js";
import { IngestApiEnv } from "../../../lambdas/shared/environment.js";
import { ServiceName } from "../../../lambdas/shared/serviceNames.js";
import {
  LOCAL_AWS_CREDENTIALS,
  LOCAL_AWS_REGION,
  localAwsConfig,
} from "../../../scripts/local/localAwsConfig.js";
import { LOCAL_INGEST_TABLE, provisionIngestTable } from "../../../scripts/local/provision.js";
import { CountingMetrics } from "../../../scripts/pipeline/countingMetrics.js";
import type { LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";
import { lambdaContext } from "../../../scripts/pipeline/lambdaContext.js";
import { apiGatewayEvent, body, event } from "../../lambdas/ingestApi/helpers.js";
import type { IamCall } from "./sdkCallRecorder.js";

/** The local names of the resources only these functions use (the pipeline's own are DEFAULT_LOCAL_RESOURCE_NAMES). */
export const EXTRA_LOCAL_NAMES = {
  ingestTable: LOCAL_INGEST_TABLE,
  connectionsTable: "tidemark-ws-connections",
  /** EventQueue on AWS; its own queue here, so the run's processor does not take the ingest API's messages. */
  ingestQueue: "tidemark-ingest-events.fifo",
  payloadBucket: "tidemark-ingest-payloads",
} as const;

/** The ARN prefix the template's execute-api grants name, the WebSocket API resolved to `WebSocketApi`. */
export const WEBSOCKET_API_ARN = "arn:AWS::Partition:execute-api:AWS::Region:AWS::AccountId:WebSocketApi";

/** The recorder's side these runs need. */
export interface Recording {
  watch(client: DynamoDBClient | SQSClient | S3Client): void;
  as<T>(caller: string, run: () => T): T;
  recordCall(call: IamCall): void;
}

/** A function's environment variables in the synthesized template (references left as template JSON). */
export type TemplateEnv = (service: string) => Readonly<Record<string, unknown>>;

/**
 * The template's environment with each reference (a table name, a queue URL the stack resolves) replaced
 * by the local resource's: a reference without a local value fails naming the variable.
 */
function localEnv(
  template: Readonly<Record<string, unknown>>,
  locals: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template).map(([name, value]) => {
      if (typeof value === "string") return [name, value];
      const local = locals[name];
      if (local === undefined)
        throw new Error(`${name}: the template references a resource with no local stand-in`);
      return [name, local];
    }),
  );
}

const SIGNING_KEY = "11".repeat(32);
const SIGNING_SECRET = "tidemark/dev/ingest-signing-key";
/** Above INGEST_CLAIM_CHECK_THRESHOLD_BYTES (the construct's 32768): the payload goes to the bucket. */
const LARGE_PAYLOAD = { blob: "x".repeat(40_000) };

/** Runs `run` with these variables set in process.env (what the handler modules read), restoring them after. */
async function withEnv<T>(
  vars: Readonly<Record<string, string | undefined>>,
  run: () => Promise<T>,
): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set({ ...vars });
  try {
    return await run();
  } finally {
    set(before);
  }
}

/** The settings Lambda and the construct give every serving function, pointed at the local parts. */
function servingEnv(
  pipeline: LocalPipeline,
  callbackUrl: string,
  dir: string,
): Record<string, string | undefined> {
  const { dynamodb } = pipeline.parts;
  if (!dynamodb) throw new Error("the pipeline runs without DynamoDB Local");
  return {
    AWS_REGION: LOCAL_AWS_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    STATE_TABLE: pipeline.env.STATE_TABLE,
    EVENT_LOG_RETENTION_DAYS: "7",
    WS_CONNECTIONS_TABLE: EXTRA_LOCAL_NAMES.connectionsTable,
    WS_CALLBACK_URL: callbackUrl,
    SINK: "duckdb",
    DUCKDB_PATH: join(dir, "stream.duckdb"),
  };
}

/**
 * API Gateway's management API for the WebSocket stage, as a local stand-in: it takes every post and
 * close and records the authorization each needs (`execute-api:ManageConnections` on
 * `<api>/<stage>/<METHOD>/@connections/<id>`). Posts to `slow-*` connections answer late, so the
 * fan-out drops them as slow clients and closes them (the DELETE).
 */
async function startManagementApi(
  recording: Recording,
  slowMs: number,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const [, stage, , id] = /^\/([^/]+)\/(@connections)\/(.+)$/.exec(req.url ?? "") ?? [];
    recording.recordCall({
      caller: ServiceName.apiWebSocket,
      action: "execute-api:ManageConnections",
      resource: `${WEBSOCKET_API_ARN}/${stage}/${req.method}/@connections/${decodeURIComponent(id ?? "?")}`,
      leadingKeys: [],
    });
    req.resume();
    const delay = req.method === "POST" && id?.startsWith("slow-") ? slowMs : 0;
    setTimeout(() => res.writeHead(200).end(), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

/** The resources only these functions use, on the pipeline's DynamoDB Local and SQS server (which serves S3). */
async function provisionExtras(pipeline: LocalPipeline): Promise<{ ingestQueueUrl: string }> {
  const { ddb, sqs } = pipeline.harness;
  const { sqs: sqsPart } = pipeline.parts;
  if (!sqsPart) throw new Error("the pipeline runs without the local SQS server");
  await provisionIngestTable(ddb, EXTRA_LOCAL_NAMES.ingestTable);
  await ddb.send(
    new CreateTableCommand({
      TableName: EXTRA_LOCAL_NAMES.connectionsTable,
      KeySchema: [{ AttributeName: CONNECTIONS_TABLE_KEY, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: CONNECTIONS_TABLE_KEY, AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: EXTRA_LOCAL_NAMES.ingestQueue,
      Attributes: { FifoQueue: "true" },
    }),
  );
  const s3 = new S3Client({ ...localAwsConfig(sqsPart.endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: EXTRA_LOCAL_NAMES.payloadBucket }));
  s3.destroy();
  return { ingestQueueUrl: QueueUrl as string };
}

/** The ingest API's request function and its maintenance, with the clients their handler modules build. */
async function exerciseIngestApi(
  pipeline: LocalPipeline,
  recording: Recording,
  envOf: TemplateEnv,
  queueUrl: string,
): Promise<number[]> {
  const { dynamodb, sqs: sqsPart } = pipeline.parts;
  if (!dynamodb || !sqsPart) throw new Error("the pipeline runs without its local AWS parts");
  const ddb = new DynamoDBClient(localAwsConfig(dynamodb.endpoint));
  const sqs = new SQSClient(localAwsConfig(sqsPart.endpoint));
  const s3 = new S3Client({ ...localAwsConfig(sqsPart.endpoint), forcePathStyle: true });
  for (const client of [ddb, sqs, s3]) recording.watch(client);
  // Each function's environment as the construct sets it, its references resolved to the local resources.
  const locals = {
    [IngestApiEnv.IngestTable]: EXTRA_LOCAL_NAMES.ingestTable,
    [IngestApiEnv.QueueUrl]: queueUrl,
    [IngestApiEnv.SigningKeySecretId]: SIGNING_SECRET,
    [IngestApiEnv.PayloadBucket]: EXTRA_LOCAL_NAMES.payloadBucket,
  };
  const env = localEnv(envOf(ServiceName.ingestApi), locals);
  // The secret is read through Powertools on AWS (AWS_ONLY); here the same string, without the call.
  const fetchSecret = async (id: string) => (id === SIGNING_SECRET ? SIGNING_KEY : undefined);
  const logger = new Logger({ logLevel: "SILENT" });
  const handler = createIngestLambdaHandler({
    env,
    clients: { ddb, sqs, s3, fetchSecret },
    metrics: new CountingMetrics(ServiceName.ingestApi) as unknown as Metrics,
    logger,
  });
  // The operator's `tidemark keys create`, not the function: on the harness client, unrecorded.
  const { apiKey } = await createApiKeys({
    ddb: pipeline.harness.ddb,
    tableName: EXTRA_LOCAL_NAMES.ingestTable,
  }).createKey({
    name: "contract",
    streams: ["ops"],
  });
  const context = {} as LambdaContext;
  const call = (method: string, path: string, payload?: string) =>
    recording.as(ServiceName.ingestApi, () =>
      handler(apiGatewayEvent(method, path, apiKey, payload) as LambdaEvent, context),
    );
  const posted = body(event("ops", "c-1", { text: "a" }), event("ops", "c-2", LARGE_PAYLOAD));
  const first = await call("POST", "/v1/events", posted);
  const eventIds = (JSON.parse(first.body as string).results as { eventId: string }[]).map((r) => r.eventId);
  const statuses = [first.statusCode, (await call("POST", "/v1/events", posted)).statusCode];
  statuses.push((await call("GET", "/v1/events?stream=ops")).statusCode);
  statuses.push((await call("GET", `/v1/receipts/${eventIds[0]}`)).statusCode);
  const maintenance = createIngestMaintenanceHandler({
    // Commit after two events (a setting the construct takes), so this run's commitment is due now.
    env: { ...localEnv(envOf(ServiceName.ingestMaintenance), locals), INGEST_COMMIT_EVERY_EVENTS: "2" },
    clients: { ddb, sqs, fetchSecret },
    metrics: new CountingMetrics(ServiceName.ingestMaintenance) as unknown as Metrics,
    logger,
    // Past the outbox grace and the commit interval: the sweep and the commitment are due.
    now: () => Date.now() + 600_000,
  });
  await recording.as(ServiceName.ingestMaintenance, () => maintenance());
  statuses.push((await call("GET", `/v1/proofs/${eventIds[0]}`)).statusCode);
  for (const client of [ddb, sqs, s3]) client.destroy();
  return statuses;
}

const wsRoute = (routeKey: string, connectionId: string, query: Record<string, string> = {}) => ({
  requestContext: { routeKey, connectionId },
  queryStringParameters: query,
  headers: {},
});

/** The serving functions, each through its handler module (the SDK clients are the ones it builds). */
async function exerciseServing(recording: Recording, context: Context): Promise<unknown[]> {
  const results: unknown[] = [];
  const routes = (await import("../../../lambdas/api/webSocketHandler.js")).handler;
  for (const [route, id] of [
    ["$connect", "fast-1"],
    ["$connect", "slow-1"],
    ["$connect", "gone-1"],
    ["$connect", "head-1"],
    ["$disconnect", "gone-1"],
  ] as const) {
    results.push(
      await recording.as(ServiceName.apiWebSocketRoutes, () =>
        routes(wsRoute(route, id, id === "head-1" ? {} : { after: "0" }), context),
      ),
    );
  }
  const fanOut = (await import("../../../lambdas/api/webSocketFanOutHandler.js")).handler;
  results.push(await recording.as(ServiceName.apiWebSocket, () => fanOut({ source: "schedule" }, context)));
  // The stream function's app, as its handler builds it; `streamHandle` itself needs Lambda's runtime.
  const { createLambdaApp } = await import("../../../lambdas/api/createLambdaApp.js");
  results.push(
    await recording.as(ServiceName.apiStream, async () => {
      const app = await createLambdaApp(process.env, { streamStats: createStreamStats() });
      const response = await app.fetch(new Request("http://stream.local/v1/sse/events?after=0"), {
        // What streamHandle passes as the app's env: the function URL's request context.
        requestContext: { http: { sourceIp: "127.0.0.1" } },
      });
      // Read past the ready frame to the first event (`id:`, read from the state table's log), then hang up.
      const reader = response.body?.getReader();
      let text = "";
      for (let reads = 0; reader && reads < 50 && !/^id:/m.test(text); reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader?.cancel();
      return { status: response.status, event: /^id:/m.test(text) };
    }),
  );
  return results;
}

/**
 * Every function the local pipeline does not run, each through the code Lambda runs, on the pipeline's
 * parts after its run (the state table holds the run's batches and event log): the calls land in the
 * recorder under each function's name. Returns what each answered, for the caller to check.
 */
export async function exerciseOtherFunctions(
  pipeline: LocalPipeline,
  recording: Recording,
  envOf: TemplateEnv,
): Promise<Record<string, unknown>> {
  const { ingestQueueUrl } = await provisionExtras(pipeline);
  const slowMs = 300;
  const management = await startManagementApi(recording, slowMs * 4);
  const context = lambdaContext("tidemark-contract", 60_000);
  // The query backends' DuckDB files (one per function: DuckDB is single-writer per process).
  const dir = await mkdtemp(join(tmpdir(), "tidemark-contract-"));
  try {
    return await withEnv(
      { ...servingEnv(pipeline, management.url, dir), API_SSE_SLOW_CLIENT_MS: String(slowMs) },
      async () => {
        const unproven = (await import("../../../lambdas/unprovenBatchAge/handler.js")).handler;
        const unprovenBatchAge = [
          await recording.as(ServiceName.unprovenBatchAge, () => unproven({}, context)),
          await recording.as(ServiceName.unprovenBatchAge, () => unproven({ smoke: true }, context)),
        ];
        const ingest = await exerciseIngestApi(pipeline, recording, envOf, ingestQueueUrl);
        const serving = await exerciseServing(recording, context);
        const api = (await import("../../../lambdas/api/handler.js")).handler;
        const answered = await withEnv(
          {
            EVENT_LOG_RETENTION_DAYS: undefined,
            STATE_TABLE: undefined,
            DUCKDB_PATH: join(dir, "api.duckdb"),
          },
          () => recording.as("api", () => api(apiGatewayEvent("GET", "/health", "") as LambdaEvent, context)),
        );
        return { unprovenBatchAge, ingest, serving, api: answered };
      },
    );
  } finally {
    await new Promise((resolve) => management.server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
