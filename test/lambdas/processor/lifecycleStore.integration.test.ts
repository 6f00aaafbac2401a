import type { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLifecycleStore, lifecycleUpdateOf } from "../../../lambdas/processor/lifecycleStore.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import { ChainMetric } from "../../../lambdas/shared/metricNames.js";
import { UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { at, hash, proposed, proved, verified } from "./helpers.js";

// Integration: the lifecycle writes on DynamoDB Local, whose per-item serialization is what makes each
// chain metric come out exactly once.
let local: DynamoDbLocal;
let ddb: DynamoDBClient;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  ddb = new DynamoDBClient(localAwsConfig(local.endpoint));
});

afterAll(async () => {
  ddb?.destroy();
  await local?.stop();
});

/** Metrics that keep every sample, in order, by name. */
function recorder(): Pick<Metrics, "addMetric"> & { values(name: string): number[] } {
  const samples: { name: string; value: number }[] = [];
  return {
    addMetric: (name: string, _unit: unknown, value: number) => void samples.push({ name, value }),
    values: (name: string) => samples.filter((s) => s.name === name).map((s) => s.value),
  } as unknown as Pick<Metrics, "addMetric"> & { values(name: string): number[] };
}

/** Deterministic shuffle (mulberry32), so a failure names the seed that reproduces it. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// Batches 1–4 proposed 12 s apart (L1), each proved 1200 s after its proposal; 2 and 4 verified after 2400 s.
// Each batch holds 3 L2 blocks whose last block is 1 s before the proposal: the L2 block interval is 12/3 = 4 s.
const facts: PipelineEvent[] = [1, 2, 3, 4].flatMap((id) => [
  proposed(id),
  proved(id),
  ...(id % 2 === 0 ? [verified(id)] : []),
]);
// Duplicates: a repeated proof, and batch 3's proposal re-observed in a sibling L1 block (a reorg).
const duplicates: PipelineEvent[] = [proved(1), proposed(3, { ...at(103), blockHash: hash("l1:103'") })];

describe("createLifecycleStore chain metrics", () => {
  it.each([1, 2, 3])(
    "emits each metric once per batch, whatever the order and batching (seed %i)",
    async (seed) => {
      // Prepare: a fresh table per seed; events shuffled and cut into calls of 1–3, two calls in flight.
      const { stateTable } = await provisionTables({
        ddb,
        names: { stateTable: `state-${seed}`, idempotencyTable: `idem-${seed}` },
      });
      const metrics = recorder();
      const store = createLifecycleStore({ ddb, tableName: stateTable, metrics });
      const events = shuffled([...facts, ...duplicates], seed);
      const calls: PipelineEvent[][] = [];
      for (let i = 0; i < events.length; i += 1 + (i % 3)) calls.push(events.slice(i, i + 1 + (i % 3)));
      const updates = (chunk: PipelineEvent[]) => chunk.flatMap((e) => lifecycleUpdateOf(e) ?? []);

      // Act
      for (let i = 0; i < calls.length; i += 2) {
        await Promise.all(calls.slice(i, i + 2).map((chunk) => store.record(updates(chunk))));
      }
      await store.record(updates(facts)); // a full redelivery changes nothing

      // Assess
      expect(metrics.values(ChainMetric.BatchesProposed)).toEqual([1, 1, 1, 1]);
      expect(metrics.values(ChainMetric.BatchProveTimeSeconds)).toEqual([1200, 1200, 1200, 1200]);
      expect(metrics.values(ChainMetric.BatchVerifyTimeSeconds)).toEqual([2400, 2400]);
      expect(metrics.values(ChainMetric.BatchPostingIntervalSeconds)).toEqual([12, 12, 12]);
      expect(metrics.values(ChainMetric.L2BlockIntervalSeconds)).toEqual([4, 4, 4]);
      const index = await ddb.send(
        new QueryCommand({
          TableName: stateTable,
          IndexName: UNPROVEN_INDEX.indexName,
          KeyConditionExpression: "#u = :u",
          ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
          ExpressionAttributeValues: { ":u": { S: UNPROVEN_INDEX.value } },
        }),
      );
      // Every batch is proved: what the index still lists must carry its proof (stale, skipped by readers).
      expect((index.Items ?? []).filter((i) => i.provedAt === undefined)).toEqual([]);
    },
  );
});
