import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createIdempotencyStore } from "../../../lambdas/processor/idempotencyStore.js";
import { createBatchProcessor } from "../../../lambdas/processor/processBatch.js";
import { UNFINALIZED_PROPOSAL } from "../../../lambdas/processor/shastaLifecycleStore.js";
import type { PipelineEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import { eventKey, observationId } from "../../../lambdas/shared/keys.js";
import { ProcessorMetric } from "../../../lambdas/shared/metricNames.js";
import { UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { reorg } from "../../support/events.js";
import { shastaProposed, shastaProved } from "../../support/shastaEvents.js";
import {
  at,
  countRoundTrips,
  failedIds,
  hash,
  l1Header,
  l2Header,
  lambdaContext,
  MemorySink,
  proposed,
  proved,
  recordingMetrics,
  silentLogger,
  sqsRecord,
  testConfig,
  verified,
} from "./helpers.js";
import { useProcessorParts } from "./localTables.js";

// Integration: the processor over the real DynamoDB Local (idempotency + state tables); the DLQ is
// not needed here (no poison), so SQS is a mock that fails loudly if called.
const { dynamo, sqs } = useProcessorParts();

// The injected clock starts at the real time: DynamoDB Local deletes items whose TTL has passed.
const T0 = Math.floor(Date.now() / 1000) * 1000;

function setup(options: { now: number; claimTimeoutSeconds?: number; sink?: MemorySink }) {
  const sink = options.sink ?? new MemorySink();
  const metrics = recordingMetrics();
  const config = testConfig({
    IDEMPOTENCY_TABLE: dynamo.tables.idempotencyTable,
    STATE_TABLE: dynamo.tables.stateTable,
    CLAIM_TIMEOUT_SECONDS: String(options.claimTimeoutSeconds ?? 120),
  });
  const processor = createBatchProcessor({
    ddb: dynamo.ddb,
    sqs,
    sink,
    config,
    metrics,
    logger: silentLogger,
    now: () => options.now,
  });
  return { processor, sink, metrics, config };
}

async function getItem(tableName: string, key: Record<string, { S: string }>) {
  return (await dynamo.ddb.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })))
    .Item;
}
const idempotencyItem = (e: PipelineEvent) =>
  getItem(dynamo.tables.idempotencyTable, { id: { S: observationId(e) } });
const batchItem = (batchId: number) => getItem(dynamo.tables.stateTable, { pk: { S: `batch#${batchId}` } });

describe("createBatchProcessor against DynamoDB Local", () => {
  it("claims, applies and completes a 10-record batch in at most 3 DynamoDB round trips, and drops its replay", async () => {
    // Prepare: headers and lifecycle events (batch 1 proposed and proved, batch 2 verified).
    const events: PipelineEvent[] = [
      ...[1, 2, 3, 4].map((n) => l1Header(1000 + n)),
      ...[1, 2, 3].map((n) => l2Header(1000 + n)),
      proposed(1),
      proved(1),
      verified(2),
    ];
    const { processor, sink, metrics } = setup({ now: T0 });
    const trips = countRoundTrips(dynamo.ddb);

    // Act
    const first = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext(),
    );
    const roundTrips = trips.count();
    trips.stop();
    const replay = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext("req-2"),
    );

    // Assess
    expect(failedIds(first)).toEqual([]);
    expect(roundTrips).toBeLessThanOrEqual(3);
    expect(sink.keys()).toEqual(events.map(eventKey).sort());
    const stored = await idempotencyItem(events[0] as PipelineEvent);
    expect(stored?.status?.S).toBe("COMPLETED");
    expect(Number(stored?.ttl?.N)).toBe(T0 / 1000 + 30 * 86_400);
    expect(await batchItem(1)).toMatchObject({
      proposedAt: { N: String(at(101).timestamp) },
      provedAt: { N: String(at(201).timestamp) },
    });
    expect((await batchItem(2))?.verifiedAt?.N).toBe(String(at(302).timestamp));

    expect(failedIds(replay)).toEqual([]);
    expect(sink.writes).toHaveLength(1);
    expect(metrics.total(ProcessorMetric.RecordsProcessed)).toBe(10);
    expect(metrics.total(ProcessorMetric.DuplicatesDropped)).toBe(10);
  });

  it("retakes the expired claim of a crashed worker and processes the record", async () => {
    // Prepare: a worker claimed the record and died before completing it (lease 5 s).
    const event = l2Header(2000);
    const crashed = createIdempotencyStore({
      ddb: dynamo.ddb,
      tableName: dynamo.tables.idempotencyTable,
      claimTimeoutSeconds: 5,
      ttlDays: 30,
      now: () => T0,
    });
    await crashed.claim(
      [{ observationId: observationId(event), eventKey: eventKey(event) }],
      "crashed-worker",
    );
    const { processor, sink, metrics } = setup({ now: T0 + 6_000, claimTimeoutSeconds: 5 });

    // Act
    const response = await processor.process([sqsRecord(event)], lambdaContext("req-after-crash"));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(sink.keys()).toEqual([eventKey(event)]);
    const stored = await idempotencyItem(event);
    expect(stored?.status?.S).toBe("COMPLETED");
    expect(stored?.owner?.S).toMatch(/^req-after-crash:/);
    expect(metrics.total(ProcessorMetric.ExpiredClaimsRetaken)).toBe(1);
  });

  it("retries a record whose live claim is held by another worker, without applying it", async () => {
    // Prepare
    const held = l1Header(3000);
    const free = l1Header(3001); // another group (3001 mod 16 differs)
    const other = createIdempotencyStore({
      ddb: dynamo.ddb,
      tableName: dynamo.tables.idempotencyTable,
      claimTimeoutSeconds: 120,
      ttlDays: 30,
      now: () => T0,
    });
    await other.claim([{ observationId: observationId(held), eventKey: eventKey(held) }], "other-worker");
    const { processor, sink } = setup({ now: T0 + 1_000 });
    const heldRecord = sqsRecord(held);

    // Act
    const response = await processor.process([heldRecord, sqsRecord(free)], lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual([heldRecord.messageId]);
    expect(sink.keys()).toEqual([eventKey(free)]);
    const stored = await idempotencyItem(held);
    expect(stored).toMatchObject({ status: { S: "IN_PROGRESS" }, owner: { S: "other-worker" } });
  });

  it("keeps lifecycle state independent of the order partitions deliver it in", async () => {
    // Prepare: batch 40's steps arrive verified-first; then a re-observation of its proposal (an L1
    // reorg moved it to another block) arrives after the original.
    const { processor } = setup({ now: T0 });
    const original = proposed(40, at(140));
    const reobserved = proposed(40, { ...at(141), txHash: at(140).txHash });

    // Act
    await processor.process([sqsRecord(verified(40))], lambdaContext("r1"));
    await processor.process([sqsRecord(proved(40))], lambdaContext("r2"));
    await processor.process([sqsRecord(original)], lambdaContext("r3"));
    const response = await processor.process([sqsRecord(reobserved)], lambdaContext("r4"));

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(await batchItem(40)).toMatchObject({
      batchId: { N: "40" },
      proposedAt: { N: String(original.l1.timestamp) },
      provedAt: { N: String(proved(40).l1.timestamp) },
      verifiedAt: { N: String(verified(40).l1.timestamp) },
    });
  });

  it("takes back a proof whose L1 block a reorg event orphans, and puts it back when the block is restored", async () => {
    // Prepare: batch 50 proposed and proved; reorg 1 orphans the proof's block, reorg 2 restores it
    const { processor } = setup({ now: T0 });
    const proof = proved(50);
    const mark = (seq: number, orphaned: boolean): ReorgEvent => {
      const block = { number: proof.l1.blockNumber, hash: proof.l1.blockHash };
      const other = { number: proof.l1.blockNumber, hash: hash("l1alt:250") };
      const base = reorg("l1", proof.l1.blockNumber, proof.l1.blockNumber);
      return { ...base, seq, orphaned: [orphaned ? block : other], restored: [orphaned ? other : block] };
    };
    await processor.process([sqsRecord(proposed(50)), sqsRecord(proof)], lambdaContext("r1"));

    // Act
    const orphaning = await processor.process([sqsRecord(mark(1, true))], lambdaContext("r2"));
    const afterOrphan = await batchItem(50);
    const restoring = await processor.process([sqsRecord(mark(2, false))], lambdaContext("r3"));

    // Assess
    expect(failedIds(orphaning)).toEqual([]);
    expect(failedIds(restoring)).toEqual([]);
    expect(afterOrphan?.provedAt).toBeUndefined();
    expect(afterOrphan?.[UNPROVEN_INDEX.partitionKey]?.S).toBe(UNPROVEN_INDEX.value);
    const restored = await batchItem(50);
    expect(restored?.provedAt?.N).toBe(String(proof.l1.timestamp));
    expect(restored?.[UNPROVEN_INDEX.partitionKey]).toBeUndefined();
  });

  it("takes back a Shasta finalization whose L1 block a reorg event orphans, and puts it back on restore", async () => {
    // Prepare: proposal 60 proposed and proved (as new); reorg 1 orphans the Proved's block, reorg 2 restores it
    const { processor } = setup({ now: T0 });
    const proof = shastaProved({ first: 60, firstNew: 60, last: 60 }, at(360));
    const mark = (seq: number, orphaned: boolean): ReorgEvent => {
      const block = { number: proof.l1.blockNumber, hash: proof.l1.blockHash };
      const other = { number: proof.l1.blockNumber, hash: hash("l1alt:360") };
      const base = reorg("l1", proof.l1.blockNumber, proof.l1.blockNumber);
      return { ...base, seq, orphaned: [orphaned ? block : other], restored: [orphaned ? other : block] };
    };
    const proposalItem = () => getItem(dynamo.tables.stateTable, { pk: { S: "proposal#60" } });
    await processor.process([sqsRecord(shastaProposed(60, at(350))), sqsRecord(proof)], lambdaContext("s1"));

    // Act
    const orphaning = await processor.process([sqsRecord(mark(11, true))], lambdaContext("s2"));
    const afterOrphan = await proposalItem();
    const restoring = await processor.process([sqsRecord(mark(12, false))], lambdaContext("s3"));

    // Assess
    expect(failedIds(orphaning)).toEqual([]);
    expect(failedIds(restoring)).toEqual([]);
    expect(afterOrphan?.finalizedAt).toBeUndefined();
    expect(afterOrphan?.[UNPROVEN_INDEX.partitionKey]?.S).toBe(UNFINALIZED_PROPOSAL);
    const restored = await proposalItem();
    expect(restored?.finalizedAt?.N).toBe(String(proof.l1.timestamp));
    expect(restored?.[UNPROVEN_INDEX.partitionKey]).toBeUndefined();
  });

  it("gives a failed batch's claims back so the retry applies it at once", async () => {
    // Prepare
    const events = [l1Header(4000), l2Header(4000)];
    const sink = new MemorySink().failNext();
    const { processor } = setup({ now: T0, sink });

    // Act
    const failed = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext("r1"),
    );
    const retried = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext("r2"),
    );

    // Assess
    expect(failedIds(failed)).toHaveLength(2);
    expect(failedIds(retried)).toEqual([]);
    expect(sink.keys()).toEqual(events.map(eventKey).sort());
  });
});
