import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLifecycleStore, lifecycleUpdateOf } from "../../../lambdas/processor/lifecycleStore.js";
import { RECENT_WRITES_ATTRIBUTE } from "../../../lambdas/processor/observedLifecycle.js";
import type { L1Location, PipelineEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import { ChainMetric, ChainMetricRetracted } from "../../../lambdas/shared/metricNames.js";
import { UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { oldestUnprovenBatch } from "../../../lambdas/unprovenBatchAge/oldestUnprovenBatch.js";
import { connectionResetError } from "../../../scripts/chaos/lostAnswer.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { reorg } from "../../support/events.js";
import { at, chainMetricRecorder, hash, proposed, proved, verified } from "./helpers.js";

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
      const metrics = chainMetricRecorder();
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

describe("createLifecycleStore under L1 reorgs", () => {
  let tables = 0;
  /** A fresh table and a store on it that keeps its metrics. */
  async function fresh() {
    tables++;
    const { stateTable } = await provisionTables({
      ddb,
      names: { stateTable: `reorg-state-${tables}`, idempotencyTable: `reorg-idem-${tables}` },
    });
    const metrics = chainMetricRecorder();
    const store = createLifecycleStore({ ddb, tableName: stateTable, metrics });
    const apply = (...events: PipelineEvent[]) =>
      store.record(events.flatMap((e) => lifecycleUpdateOf(e) ?? []));
    const item = async (batchId: number) =>
      (await ddb.send(new GetItemCommand({ TableName: stateTable, Key: { pk: { S: `batch#${batchId}` } } })))
        .Item ?? {};
    const step = async (batchId: number, name: string) => {
      const n = (await item(batchId))[name]?.N;
      return n === undefined ? undefined : Number(n);
    };
    const oldest = () => oldestUnprovenBatch(ddb, { tableName: stateTable, now: NOW_MS });
    return { stateTable, metrics, store, apply, item, step, oldest };
  }

  const NOW_MS = 1_800_000_000_000;
  /** Reorg number `seq` on L1 hiding `orphaned` and marking `restored` canonical again. */
  const l1Reorg = (seq: number, orphaned: L1Location[], restored: L1Location[] = []): ReorgEvent => ({
    ...reorg("l1", 1, 1),
    seq,
    depth: orphaned.length,
    orphaned: orphaned.map((l) => ({ number: l.blockNumber, hash: l.blockHash })),
    restored: restored.map((l) => ({ number: l.blockNumber, hash: l.blockHash })),
  });
  const proofBlock = at(201);
  const otherBlock = at(201, { blockHash: hash("l1alt:201") });

  it("puts a batch whose proof is orphaned and never re-included back into the unproven index", async () => {
    // Prepare
    const { store, apply, step, oldest, metrics } = await fresh();
    await apply(proposed(1), proved(1));
    const before = await oldest();

    // Act: the proof's block is reorged out; the new chain (B) carries no proof
    await store.reorg([l1Reorg(1, [proofBlock], [otherBlock])]);

    // Assess
    expect(before.batchId).toBeUndefined();
    expect(await step(1, "provedAt")).toBeUndefined();
    expect(await step(1, "proposedAt")).toBe(at(101).timestamp);
    expect(await oldest()).toEqual({
      ageSeconds: NOW_MS / 1000 - at(101).timestamp,
      batchId: 1,
      staleCleared: 0,
    });
    // The prove time emitted with the proof is retracted: no proof, no prove time.
    expect(metrics.values(ChainMetric.BatchProveTimeSeconds)).toEqual([
      proofBlock.timestamp - at(101).timestamp,
    ]);
    expect(metrics.values(ChainMetricRetracted.BatchProveTimeSeconds)).toEqual([
      proofBlock.timestamp - at(101).timestamp,
    ]);
    expect(metrics.net(ChainMetric.BatchProveTimeSeconds)).toEqual([]);
    expect(metrics.net(ChainMetric.BatchesProposed)).toEqual([1]);
  });

  it("retracts the chain metrics a reorg moved and emits what the new blocks give (proof and proposal re-included later)", async () => {
    // Prepare: batches 1 and 2 proposed (101, 102), batch 1 proved in 201 and verified in 301.
    const { store, apply, metrics } = await fresh();
    await apply(proposed(1), proposed(2), proved(1), verified(1));
    const laterProof = at(205, { blockHash: hash("l1alt:205") });
    const laterProposal = at(104, { blockHash: hash("l1alt:104") });

    // Act: an L1 reorg drops 102 and 201; the chain re-includes the proposal in 104 and the proof in 205.
    await store.reorg([l1Reorg(1, [at(102), proofBlock], [otherBlock])]);
    await apply(proposed(2, laterProposal), proved(1, laterProof));

    // Assess: net of retractions, each metric is what the canonical chain gives, once per batch.
    expect(metrics.net(ChainMetric.BatchesProposed)).toEqual([1, 1]);
    expect(metrics.net(ChainMetric.BatchProveTimeSeconds)).toEqual([
      laterProof.timestamp - at(101).timestamp,
    ]);
    expect(metrics.net(ChainMetric.BatchVerifyTimeSeconds)).toEqual([at(301).timestamp - at(101).timestamp]);
    expect(metrics.net(ChainMetric.BatchPostingIntervalSeconds)).toEqual([
      laterProposal.timestamp - at(101).timestamp,
    ]);
  });

  it("makes a batch proven again when the chain flips back A→B→A, whatever order the marks arrive in", async () => {
    // Prepare
    const inOrder = await fresh();
    const reversed = await fresh();
    const orphan = l1Reorg(1, [proofBlock], [otherBlock]);
    const restore = l1Reorg(2, [otherBlock], [proofBlock]);

    // Act
    await inOrder.apply(proposed(1), proved(1));
    await inOrder.store.reorg([orphan]);
    const afterOrphan = await inOrder.oldest();
    await inOrder.store.reorg([restore]);
    // The other store gets the restore before the orphan mark it supersedes, and the proof last.
    await reversed.apply(proposed(1));
    await reversed.store.reorg([restore]);
    await reversed.store.reorg([orphan]);
    await reversed.apply(proved(1));

    // Assess
    expect(afterOrphan.batchId).toBe(1);
    for (const s of [inOrder, reversed]) {
      expect(await s.step(1, "provedAt")).toBe(proofBlock.timestamp);
      expect((await s.oldest()).batchId).toBeUndefined();
      expect(s.metrics.net(ChainMetric.BatchProveTimeSeconds)).toEqual([
        proofBlock.timestamp - at(101).timestamp,
      ]);
    }
  });

  it("does not apply an observation whose block was orphaned before it arrived", async () => {
    // Prepare
    const { store, apply, step, oldest, metrics } = await fresh();
    await store.reorg([l1Reorg(1, [proofBlock])]);

    // Act
    await apply(proposed(1), proved(1));

    // Assess
    expect(await step(1, "provedAt")).toBeUndefined();
    expect((await oldest()).batchId).toBe(1);
    expect(metrics.values(ChainMetric.BatchProveTimeSeconds)).toEqual([]);
  });

  it("gives a proposal re-included in another L1 block that block's time, in the item and the index", async () => {
    // Prepare: batch 2 proposed in block 102, which is reorged out; the proposal lands again in block 104
    const { store, apply, step, oldest } = await fresh();
    const moved = at(104, { blockHash: hash("l1alt:104") });
    await apply(proposed(1), proposed(2));

    // Act
    await store.reorg([l1Reorg(1, [at(102)], [at(102, { blockHash: hash("l1alt:102") })])]);
    await apply(proposed(2, moved));
    await apply(proved(1));

    // Assess
    expect(await step(2, "proposedAt")).toBe(moved.timestamp);
    expect(await step(1, "nextProposedAt")).toBe(moved.timestamp); // batch 1's posting-interval partner moved too
    expect(await oldest()).toEqual({
      ageSeconds: NOW_MS / 1000 - moved.timestamp,
      batchId: 2,
      staleCleared: 0,
    });
  });

  it("emits the metrics of a state write whose answer was lost (the SDK's retry then fails the revision check)", async () => {
    // Prepare: a client whose next `lost` state writes (conditional on `rev`) are applied, then answered
    // with a connection reset, which the SDK retries.
    const { stateTable } = await fresh();
    const lossy = new DynamoDBClient(localAwsConfig(local.endpoint));
    let lost = 0;
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { ConditionExpression?: string };
        if (
          context.commandName === "UpdateItemCommand" &&
          input.ConditionExpression?.includes("rev") &&
          lost > 0
        ) {
          lost--;
          throw connectionResetError();
        }
        return result;
      },
      { step: "finalizeRequest", priority: "low", name: "testLostAnswer" },
    );
    const metrics = chainMetricRecorder();
    const store = createLifecycleStore({ ddb: lossy, tableName: stateTable, metrics });
    const apply = (...events: PipelineEvent[]) =>
      store.record(events.flatMap((e) => lifecycleUpdateOf(e) ?? []));

    // Act: the proposal's state writes (batch 1, and batch 0's nextProposedAt) and the proof's lose their answers
    lost = 2;
    await apply(proposed(1));
    lost = 1;
    await apply(proved(1));
    lossy.destroy();

    // Assess
    expect(lost).toBe(0);
    expect(metrics.values(ChainMetric.BatchesProposed)).toEqual([1]);
    expect(metrics.values(ChainMetric.BatchProveTimeSeconds)).toEqual([
      proofBlock.timestamp - at(101).timestamp,
    ]);
  });

  it("changes nothing when observations and reorg events are replayed", async () => {
    // Prepare
    const { store, apply, item, metrics } = await fresh();
    const events = [proposed(1), proved(1), proposed(2), proved(2), verified(1)];
    const reorgs = [l1Reorg(1, [proofBlock], [otherBlock]), l1Reorg(2, [at(102)])];
    await apply(...events);
    await store.reorg(reorgs);
    const snapshot = async () =>
      Promise.all(
        [1, 2].map(async (id) =>
          Object.entries(await item(id)).filter(([k]) => k !== "rev" && k !== RECENT_WRITES_ATTRIBUTE),
        ),
      );
    const before = await snapshot();
    const samples = JSON.stringify(metrics.values(ChainMetric.BatchProveTimeSeconds));

    // Act: every reorg event twice more (also split the other way), then every observation again
    await store.reorg(reorgs);
    await Promise.all(reorgs.map((r) => store.reorg([r])));
    await apply(...events);

    // Assess
    expect(await snapshot()).toEqual(before);
    expect(JSON.stringify(metrics.values(ChainMetric.BatchProveTimeSeconds))).toBe(samples);
    expect(metrics.values(ChainMetric.BatchesProposed)).toEqual([1, 1]);
    expect(metrics.net(ChainMetric.BatchesProposed)).toEqual([1]); // 102 stays orphaned: only batch 1 is proposed
  });
});
