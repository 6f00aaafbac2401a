import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLifecycleStore, type LifecycleStore } from "../../../lambdas/processor/lifecycleStore.js";
import { ChainMetric } from "../../../lambdas/shared/metricNames.js";
import { batchItemKey, UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { createUnprovenBatchAgeHandler } from "../../../lambdas/unprovenBatchAge/createUnprovenBatchAgeHandler.js";
import { oldestUnprovenBatch } from "../../../lambdas/unprovenBatchAge/oldestUnprovenBatch.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { hash } from "../../support/events.js";

let local: DynamoDbLocal;
let ddb: DynamoDBClient;
let tableName: string;
let store: LifecycleStore;

const NOW_S = 1_800_000_000;
const HOUR = 3600;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  ddb = new DynamoDBClient(localAwsConfig(local.endpoint));
  ({ stateTable: tableName } = await provisionTables({ ddb }));
  store = createLifecycleStore({ ddb, tableName });
});

afterAll(async () => {
  ddb?.destroy();
  await local?.stop();
});

const block = (label: string, at: number) => ({ hash: hash(label), number: at / 12 });
const propose = (batchId: number, at: number) =>
  store.record([
    {
      batchId,
      step: "proposedAt",
      at,
      block: block(`p${batchId}`, at),
      l2: { lastBlockTimestamp: at - 1, blockCount: 2 },
    },
  ]);
const prove = (batchId: number, at: number) =>
  store.record([{ batchId, step: "provedAt", at, block: block(`v${batchId}`, at) }]);
/** An item as the lifecycle store wrote it before it kept observations: proved, yet still in the index. */
const legacyStaleEntry = (batchId: number, proposedAt: number, provedAt: number) =>
  ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: batchItemKey(batchId) },
        batchId: { N: String(batchId) },
        proposedAt: { N: String(proposedAt) },
        provedAt: { N: String(provedAt) },
        [UNPROVEN_INDEX.partitionKey]: { S: UNPROVEN_INDEX.value },
      },
    }),
  );
const oldest = () => oldestUnprovenBatch(ddb, { tableName, now: NOW_S * 1000, pageSize: 1 });

describe("oldestUnprovenBatch", () => {
  it("reports 0 when nothing is pending, then the oldest unproven batch as proofs arrive", async () => {
    // Prepare: batch 9's proof lands before its proposal (out-of-order partitions), which leaves no entry;
    // batch 8 is a stale entry left by the lifecycle store before it derived the index.
    await prove(9, NOW_S - 4 * HOUR);
    await propose(9, NOW_S - 5 * HOUR);
    await legacyStaleEntry(8, NOW_S - 6 * HOUR, NOW_S - 5 * HOUR);
    const none = await oldest();
    await propose(10, NOW_S - 4 * HOUR);
    await propose(11, NOW_S - HOUR);

    // Act
    const first = await oldest();
    await prove(10, NOW_S - HOUR);
    const second = await oldest();
    await prove(11, NOW_S);
    const third = await oldest();

    // Assess
    expect(none).toEqual({ ageSeconds: 0, staleCleared: 1 });
    expect(first).toEqual({ ageSeconds: 4 * HOUR, batchId: 10, staleCleared: 0 });
    expect(second).toEqual({ ageSeconds: HOUR, batchId: 11, staleCleared: 0 });
    expect(third).toEqual({ ageSeconds: 0, staleCleared: 0 });
  });
});

describe("createUnprovenBatchAgeHandler", () => {
  it("emits OldestUnprovenBatchAgeSeconds on every run, and answers the smoke test without writing", async () => {
    // Prepare
    await propose(20, NOW_S - 2 * HOUR);
    const metrics = new Metrics({ namespace: "Tidemark", serviceName: "unprovenBatchAge" });
    const added = vi.spyOn(metrics, "addMetric");
    // Nothing printed: the test reads what was added, not the EMF line.
    vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(() => metrics);
    const handler = createUnprovenBatchAgeHandler({
      config: { stateTable: tableName },
      ddb,
      metrics,
      now: () => NOW_S * 1000,
    });
    const context = { awsRequestId: "r1", functionName: "unprovenBatchAge" } as unknown as Context;

    // Act
    const report = await handler({ source: "schedule" }, context);
    const smoke = await handler({ smoke: true }, context);

    // Assess
    expect(report).toMatchObject({ oldestUnprovenBatchAgeSeconds: 2 * HOUR, oldestUnprovenBatchId: 20 });
    expect(added).toHaveBeenCalledWith(ChainMetric.OldestUnprovenBatchAgeSeconds, "Seconds", 2 * HOUR);
    expect(smoke).toMatchObject({ ok: true });
  });
});
