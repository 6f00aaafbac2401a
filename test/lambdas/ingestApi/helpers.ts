import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { LambdaEvent } from "hono/aws-lambda";
import { afterAll, beforeAll } from "vitest";
import { type ApiEventMessage, ApiEventMessageSchema } from "../../../lambdas/ingestApi/apiEventMessage.js";
import { createIngestApp } from "../../../lambdas/ingestApi/createIngestApp.js";
import type { IngestRoutesDependencies } from "../../../lambdas/ingestApi/createIngestRoutes.js";
import { buildIngestDependencies } from "../../../lambdas/ingestApi/ingestDependencies.js";
import type { IngestFaultInjector } from "../../../lambdas/ingestApi/ingestFaultPoints.js";
import { type IngestSettings, resolveIngestSettings } from "../../../lambdas/ingestApi/ingestSettings.js";
import { ingestKeys, ingestTableDefinition, OUTBOX_SHARDS } from "../../../lambdas/ingestApi/ingestTable.js";
import { createFileObjectStore } from "../../../lambdas/ingestApi/objectStore.js";
import { fromOutboxChunkItem, type OutboxChunk } from "../../../lambdas/ingestApi/outboxRecord.js";
import { queryPartition } from "../../../lambdas/ingestApi/queryPartition.js";
import { loadSigningKey } from "../../../lambdas/ingestApi/signingKey.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { type SqsServer, startSqsServer } from "../../../scripts/local/sqsServer.js";

/** DynamoDB Local and fauxqs on free loopback ports, and a scratch state directory; stop() ends them all. */
export interface IngestParts {
  readonly dynamo: DynamoDbLocal;
  readonly sqsServer: SqsServer;
  readonly stateDir: string;
  stop(): Promise<void>;
}

export async function startIngestParts(): Promise<IngestParts> {
  const [dynamo, sqsServer, stateDir] = await Promise.all([
    startDynamoDbLocal(),
    startSqsServer(),
    mkdtemp(join(tmpdir(), "tidemark-ingest-")),
  ]);
  return {
    dynamo,
    sqsServer,
    stateDir,
    stop: async () => {
      await Promise.all([dynamo.stop(), sqsServer.stop(), rm(stateDir, { recursive: true, force: true })]);
    },
  };
}

let counter = 0;

/** A fresh table and FIFO queue (unique names), so each test starts from an empty world. */
export async function provisionIngest(parts: IngestParts): Promise<{ tableName: string; queueUrl: string }> {
  const n = `${Date.now().toString(36)}${counter++}`;
  const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
  const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
  const tableName = `ingest-${n}`;
  await ddb.send(new CreateTableCommand(ingestTableDefinition(tableName)));
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `ingest-${n}.fifo`,
      Attributes: { FifoQueue: "true", ContentBasedDeduplication: "false" },
    }),
  );
  ddb.destroy();
  sqs.destroy();
  return { tableName, queueUrl: QueueUrl as string };
}

export interface BuildDepsOptions {
  readonly settings?: Partial<IngestSettings>;
  readonly now?: () => number;
  readonly faults?: IngestFaultInjector;
}

/**
 * Every object of the ingest API built from scratch, as a process start does: new clients, the signing
 * key loaded from the state directory, empty caches. Calling it twice is "after a restart".
 */
export async function buildDeps(
  parts: IngestParts,
  names: { tableName: string; queueUrl: string },
  options: BuildDepsOptions = {},
): Promise<IngestRoutesDependencies & { destroy(): void }> {
  const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
  const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
  const settings = resolveIngestSettings({ schemaCacheSeconds: 0, ...options.settings });
  return {
    ...buildIngestDependencies({
      ddb,
      sqs,
      ...names,
      settings,
      signingKey: await loadSigningKey({ stateDir: parts.stateDir }),
      objectStore: createFileObjectStore(join(parts.stateDir, "objects")),
      now: options.now,
      faults: options.faults,
    }),
    destroy: () => {
      ddb.destroy();
      sqs.destroy();
    },
  };
}

/** The stream's event items (`ev#<stream>`), in sequence order, read with strong consistency. */
export async function eventItems(
  deps: { readonly ddb: DynamoDBClient; readonly tableName: string },
  stream: string,
) {
  const { Items = [] } = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: ingestKeys.eventsOf(stream) } },
      ConsistentRead: true,
    }),
  );
  return Items;
}

/** Every outbox entry still in the table (events not known to be on the queue), all shards. */
export async function outboxEntries(deps: {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
}): Promise<OutboxChunk[]> {
  const shards = await Promise.all(
    Array.from({ length: OUTBOX_SHARDS }, (_, shard) =>
      queryPartition(
        { ddb: deps.ddb, tableName: deps.tableName, pk: ingestKeys.outboxShard(shard), consistentRead: true },
        fromOutboxChunkItem,
      ),
    ),
  );
  return shards.flat();
}

/** An API Gateway HTTP API (payload 2.0) request, as the ingest function receives it. */
export function apiGatewayEvent(method: string, path: string, apiKey: string, payload?: string): LambdaEvent {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: { "content-type": "application/json", "x-api-key": apiKey, host: "api.example" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "r1",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    body: payload,
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
}

/** The routes mounted under /v1 as the ingest function serves them. */
export const mountV1 = createIngestApp;

/** Receive and delete everything on the queue until it stays empty; the parsed messages, in receive order. */
export async function drainQueue(endpoint: string, queueUrl: string): Promise<ApiEventMessage[]> {
  const sqs = new SQSClient(localAwsConfig(endpoint));
  const out: ApiEventMessage[] = [];
  try {
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
      );
      if (Messages.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      for (const m of Messages) out.push(ApiEventMessageSchema.parse(JSON.parse(m.Body ?? "")));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
  } finally {
    sqs.destroy();
  }
  return out;
}

export const event = (
  stream: string,
  clientEventId: string,
  payload: unknown = { n: clientEventId },
  type = "note",
) => ({
  stream,
  type,
  clientEventId,
  payload,
});

export const body = (...events: unknown[]) => JSON.stringify({ events });

/** Starts the parts before the file's tests and stops them after; `parts()` is valid inside the tests. */
export function useIngestParts(): () => IngestParts {
  let parts: IngestParts | undefined;
  beforeAll(async () => {
    parts = await startIngestParts();
  });
  afterAll(async () => {
    await parts?.stop();
  });
  return () => {
    if (!parts)
      throw new Error("useIngestParts: the parts are not started (call it at the file's top level)");
    return parts;
  };
}
