import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiMessageGroupId } from "../../../lambdas/ingestApi/apiEventMessage.js";
import { ingestTableDefinition } from "../../../lambdas/ingestApi/ingestTable.js";
import { createS3ObjectStore } from "../../../lambdas/ingestApi/objectStore.js";
import { toMessageBody } from "../../../lambdas/ingestApi/outboxRecord.js";
import { payloadSha256, type SignedReceipt, verifyReceipt } from "../../../lambdas/ingestApi/receipts.js";
import { createProcessorHandler } from "../../../lambdas/processor/createProcessorHandler.js";
import type { ApiEventRow } from "../../../lambdas/sink/apiEventRows.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { createEventSourcePoller } from "../../../scripts/local/eventSourcePoller.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  type ProvisionedQueues,
  provisionQueues,
  provisionTables,
} from "../../../scripts/local/provision.js";
import { testApp } from "../api/helpers.js";
import { testConfig } from "../processor/helpers.js";
import { body, buildDeps, event, type IngestParts, startIngestParts } from "./helpers.js";

// End to end on real local parts: POST /v1/events through the /v1 app → the FIFO queue (fauxqs) →
// the processor's Lambda handler (createProcessorHandler, driven by the local event source poller) →
// DuckDB. Claim-checked payloads go through S3 as fauxqs serves it; DynamoDB Local holds every table.
const BUCKET = "claim-checks";
let parts: IngestParts;
let deps: Awaited<ReturnType<typeof buildDeps>>;
let queues: ProvisionedQueues;
let sink: DuckDbSink;
let app: Hono;
let apiKey: string;
let processorS3: S3Client;
let ddb: DynamoDBClient;
let sqs: SQSClient;
let tables: { stateTable: string; idempotencyTable: string };

beforeAll(async () => {
  parts = await startIngestParts();
  ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
  sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
  const s3Config = { ...localAwsConfig(parts.sqsServer.endpoint), forcePathStyle: true };
  processorS3 = new S3Client(s3Config);
  await processorS3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  tables = await provisionTables({ ddb });
  queues = await provisionQueues({ sqs, maxReceiveCount: 2, visibilityTimeoutSeconds: 2 });
  await ddb.send(new CreateTableCommand(ingestTableDefinition("ingest-e2e")));
  const base = await buildDeps(
    parts,
    { tableName: "ingest-e2e", queueUrl: queues.queueUrl },
    { settings: { claimCheckThresholdBytes: 1024 } },
  );
  // The API's own S3 client, as the ingest function holds one; the processor below has another.
  deps = { ...base, objectStore: createS3ObjectStore({ s3: new S3Client(s3Config), bucket: BUCKET }) };
  sink = await createDuckDbSink({ path: ":memory:" });
  app = testApp(sink, { ingest: deps });
  apiKey = (await deps.keys.createKey({ name: "e2e", streams: ["*"] })).apiKey;
});
afterAll(async () => {
  await sink?.close();
  deps?.destroy();
  for (const c of [processorS3, ddb, sqs]) c?.destroy();
  await parts?.stop();
});

/** A fresh processor, as a new Lambda container builds it: its own handler, the shared DuckDB sink. */
function processorHandler() {
  const metrics = new Metrics({ namespace: "Tidemark", serviceName: "processor" });
  vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(() => metrics);
  const handler = createProcessorHandler({
    config: testConfig({ ...tables, IDEMPOTENCY_TABLE: tables.idempotencyTable, DLQ_URL: queues.dlqUrl }),
    ddb,
    sqs,
    sinkFactory: async () => sink,
    objectStore: createS3ObjectStore({ s3: processorS3, bucket: BUCKET }),
    logger: new Logger({ serviceName: "processor", logLevel: "SILENT" }),
    metrics,
  });
  const added = vi.spyOn(metrics, "addMetric");
  const total = (name: string) =>
    added.mock.calls.filter(([n]) => n === name).reduce((sum, [, , v]) => sum + Number(v), 0);
  return { handler, total };
}

/** Run the processor over the queue until it stays empty. */
async function drainThroughProcessor(handler: ReturnType<typeof processorHandler>["handler"]): Promise<void> {
  const poller = createEventSourcePoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    // An SQS event never gets the smoke answer.
    handler: (e: SQSEvent, c: Context) => handler(e, c) as Promise<SQSBatchResponse>,
    onError: () => {},
  });
  poller.start();
  try {
    await poller.drain({ idleMs: 500, timeoutMs: 30_000 });
  } finally {
    await poller.stop();
  }
}

const post = async (payload: string) => {
  const res = await app.request("/v1/events", {
    method: "POST",
    body: payload,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { status: string; eventId: string; sequence: number }[] }).results;
};

const rowsOf = (stream: string) =>
  sink.query<ApiEventRow>(
    "SELECT stream, CAST(sequence AS INTEGER) AS sequence, event_id, event_type, client_event_id, accepted_at, payload_sha256, payload, payload_ref FROM api_events WHERE stream = $1 ORDER BY sequence",
    [stream],
  );

describe("ingest API end to end", () => {
  it("records each accepted event once in api_events, whole, however often it is sent", async () => {
    // Prepare
    const big = { blob: "x".repeat(100_000), n: [1, 2, 3] };
    const batch = body(event("e2e", "one", { a: 1 }), event("e2e", "big", big), event("e2e", "three"));
    // Act: post, process; post the same batch again; re-send one message past SQS's dedup window; a new processor.
    const first = await post(batch);
    await drainThroughProcessor(processorHandler().handler);
    const second = await post(batch);
    const stored = await deps.events.getEvent(first[1]?.eventId ?? "");
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.queueUrl,
        MessageBody: toMessageBody(stored),
        MessageDeduplicationId: `${stored.eventId}-after-window`,
        MessageGroupId: apiMessageGroupId(stored.stream, stored.sequence, deps.settings.partitions),
      }),
    );
    const restarted = processorHandler();
    await drainThroughProcessor(restarted.handler);
    const rows = await rowsOf("e2e");
    // Assess
    expect(first.map((r) => [r.status, r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
      ["accepted", 3],
    ]);
    expect(second.map((r) => [r.status, r.eventId, r.sequence])).toEqual(
      first.map((r) => ["duplicate", r.eventId, r.sequence]),
    );
    expect(rows.map((r) => [r.sequence, r.event_id, r.client_event_id])).toEqual(
      first.map((r, i) => [r.sequence, r.eventId, ["one", "big", "three"][i]]),
    );
    expect(restarted.total("DuplicatesDropped")).toBe(1);
    expect(stored.payloadRef).toMatch(/^s3:\/\/claim-checks\/payloads\//);
    expect(JSON.parse(rows[1]?.payload ?? "")).toEqual(big);
    expect(rows[1]?.payload_ref).toBe(stored.payloadRef);
    expect(rows[0]?.payload_ref).toBeNull();
    // Every receipt verifies against the published key and names the digest of the payload the sink holds.
    const { keys } = (await (await app.request("/v1/keys")).json()) as { keys: { publicKey: string }[] };
    for (const row of rows) {
      const res = await app.request(`/v1/receipts/${row.event_id}`, { headers: { "x-api-key": apiKey } });
      const receipt = (await res.json()) as SignedReceipt;
      expect(verifyReceipt(receipt, keys[0]?.publicKey ?? "")).toBe(true);
      expect(receipt).toMatchObject({ sequence: row.sequence, payloadSha256: row.payload_sha256 });
      expect(payloadSha256(JSON.parse(row.payload))).toBe(receipt.payloadSha256);
      expect(receipt.acceptedAt).toBe(row.accepted_at);
    }
  });

  it("dead-letters a claim-checked payload whose bytes no longer match its signed digest, and applies the rest", async () => {
    // Prepare: two large events; one's object is overwritten before the processor reads it.
    const [good, bad] = await post(
      body(
        event("tamper", "good", { blob: "g".repeat(5000) }),
        event("tamper", "bad", { blob: "b".repeat(5000) }),
      ),
    );
    const badEvent = await deps.events.getEvent(bad?.eventId ?? "");
    await processorS3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `payloads/${badEvent.receipt.payloadSha256}.json`,
        Body: JSON.stringify({ blob: "tampered" }),
      }),
    );
    // Act
    await drainThroughProcessor(processorHandler().handler);
    const rows = await rowsOf("tamper");
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    // Assess
    expect(rows.map((r) => r.event_id)).toEqual([good?.eventId]);
    expect(dead.Messages).toHaveLength(1);
    expect(JSON.parse(dead.Messages?.[0]?.Body ?? "{}").eventId).toBe(bad?.eventId);
    expect(dead.Messages?.[0]?.MessageAttributes?.errorType?.StringValue).toBe("PayloadDigestMismatchError");
  });
});
