import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECENT_WRITES_ATTRIBUTE } from "../../../lambdas/processor/observedLifecycle.js";
import {
  createShastaLifecycleStore,
  shastaLifecycleUpdatesOf,
  UNFINALIZED_PROPOSAL,
} from "../../../lambdas/processor/shastaLifecycleStore.js";
import type { PipelineEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import { ChainMetric } from "../../../lambdas/shared/metricNames.js";
import type { ShastaL1Location } from "../../../lambdas/shared/shastaEvents.js";
import { UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { oldestUnfinalizedProposal } from "../../../lambdas/unprovenBatchAge/oldestUnfinalizedProposal.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { at, hash, reorg } from "../../support/events.js";
import { shastaProposed, shastaProved } from "../../support/shastaEvents.js";
import { chainMetricRecorder } from "./helpers.js";

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

// Proposals 0 (genesis), 1–5 at L1 blocks 100 + id (12 s apart); 6 proposed, never proved.
// Proofs: {1, new 1, last 2} in 110; {1, new 3, last 4} in 120 (overlaps the finalized 1–2); {4, new 5, last 5} in 130.
const facts: PipelineEvent[] = [
  shastaProposed(0, at(90), { sources: 0 }),
  ...[1, 2, 3, 4, 5, 6].map((id) => shastaProposed(id, at(100 + id))),
  shastaProved({ first: 1, firstNew: 1, last: 2 }, at(110)),
  shastaProved({ first: 1, firstNew: 3, last: 4 }, at(120)),
  shastaProved({ first: 4, firstNew: 5, last: 5 }, at(130)),
];
// Redelivered: a proof seen twice, and proposal 3 re-observed in a sibling block.
const duplicates: PipelineEvent[] = [
  shastaProved({ first: 1, firstNew: 3, last: 4 }, at(120)),
  shastaProposed(3, { ...at(103), blockHash: hash("l1:103'") }),
];

describe("createShastaLifecycleStore", () => {
  it("turns a proof range into the finalization of its new proposals only, genesis untracked", () => {
    expect(
      shastaLifecycleUpdatesOf(shastaProved({ first: 1, firstNew: 3, last: 5 }, at(7))).map(
        (u) => u.proposalId,
      ),
    ).toEqual([3, 4, 5]);
    expect(shastaLifecycleUpdatesOf(shastaProposed(0, at(7), { sources: 0 }))).toEqual([]);
  });

  it.each([1, 2])("emits time to finality once per proposal, whatever the order (seed %i)", async (seed) => {
    // Prepare
    const { stateTable } = await provisionTables({
      ddb,
      names: { stateTable: `shasta-state-${seed}`, idempotencyTable: `shasta-idem-${seed}` },
    });
    const metrics = chainMetricRecorder();
    const store = createShastaLifecycleStore({
      ddb,
      tableName: stateTable,
      metrics,
      concurrency: 2,
    });
    const events = [...facts, ...duplicates];
    const order = seed === 1 ? events : [...events].reverse();
    // Act: one event per call, two calls in flight, then a full redelivery
    for (let i = 0; i < order.length; i += 2) {
      await Promise.all(order.slice(i, i + 2).map((e) => store.record(shastaLifecycleUpdatesOf(e))));
    }
    await store.record(facts.flatMap(shastaLifecycleUpdatesOf));
    // Assess: 1 → 110 − 101 = 9 blocks, 2 → 8, 3 → 17, 4 → 16, 5 → 25 (× 12 s)
    expect(metrics.values(ChainMetric.ShastaProposalsProposed)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(metrics.values(ChainMetric.ShastaTimeToFinalitySeconds).sort((a, b) => a - b)).toEqual(
      [9, 8, 17, 16, 25].map((n) => n * 12).sort((a, b) => a - b),
    );
    const index = await ddb.send(
      new QueryCommand({
        TableName: stateTable,
        IndexName: UNPROVEN_INDEX.indexName,
        KeyConditionExpression: "#u = :u",
        ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
        ExpressionAttributeValues: { ":u": { S: UNFINALIZED_PROPOSAL } },
      }),
    );
    // Only proposal 6 is unfinalized: finalized proposals never stay listed, whichever step came first.
    expect((index.Items ?? []).map((i) => i.pk?.S)).toEqual(["proposal#6"]);
  });
});

describe("createShastaLifecycleStore under L1 reorgs", () => {
  const NOW_MS = 1_800_000_000_000;
  let tables = 0;
  /** A fresh table and a store on it that keeps its metrics. */
  async function fresh() {
    tables++;
    const { stateTable } = await provisionTables({
      ddb,
      names: { stateTable: `shasta-reorg-${tables}`, idempotencyTable: `shasta-reorg-idem-${tables}` },
    });
    const metrics = chainMetricRecorder();
    const store = createShastaLifecycleStore({
      ddb,
      tableName: stateTable,
      metrics,
    });
    const apply = (...events: PipelineEvent[]) => store.record(events.flatMap(shastaLifecycleUpdatesOf));
    const item = async (id: number) =>
      (await ddb.send(new GetItemCommand({ TableName: stateTable, Key: { pk: { S: `proposal#${id}` } } })))
        .Item ?? {};
    const step = async (id: number, name: "proposedAt" | "finalizedAt") => {
      const n = (await item(id))[name]?.N;
      return n === undefined ? undefined : Number(n);
    };
    const oldest = () => oldestUnfinalizedProposal(ddb, { tableName: stateTable, now: NOW_MS });
    return { metrics, store, apply, item, step, oldest };
  }
  /** Reorg number `seq` on L1 hiding `orphaned` and marking `restored` canonical again. */
  const l1Reorg = (
    seq: number,
    orphaned: ShastaL1Location[],
    restored: ShastaL1Location[] = [],
  ): ReorgEvent => ({
    ...reorg("l1", 1, 1),
    seq,
    depth: orphaned.length,
    orphaned: orphaned.map((l) => ({ number: l.blockNumber, hash: l.blockHash })),
    restored: restored.map((l) => ({ number: l.blockNumber, hash: l.blockHash })),
  });
  const proofBlock = at(110);
  const otherBlock = at(110, { blockHash: hash("l1alt:110") });
  const proof = shastaProved({ first: 1, firstNew: 1, last: 2 }, proofBlock);
  const ageOf = (l1: ShastaL1Location) => NOW_MS / 1000 - l1.timestamp;

  it("puts proposals whose Proved is orphaned and never re-included back among the unfinalized", async () => {
    // Prepare
    const { store, apply, step, oldest, metrics } = await fresh();
    await apply(shastaProposed(1, at(101)), shastaProposed(2, at(102)), proof);
    const before = await oldest();

    // Act: the proof's block is reorged out; the new chain (B) carries no proof
    await store.reorg([l1Reorg(1, [proofBlock], [otherBlock])]);

    // Assess
    expect(before).toEqual({ ageSeconds: 0 });
    expect(await step(1, "finalizedAt")).toBeUndefined();
    expect(await step(2, "finalizedAt")).toBeUndefined();
    expect(await step(1, "proposedAt")).toBe(at(101).timestamp);
    expect(await oldest()).toEqual({ ageSeconds: ageOf(at(101)), proposalId: 1 });
    // Emitted at the first application, then retracted: nothing is finalized on the chain now.
    expect(metrics.sorted(ChainMetric.ShastaTimeToFinalitySeconds)).toEqual([8 * 12, 9 * 12]);
    expect(metrics.net(ChainMetric.ShastaTimeToFinalitySeconds)).toEqual([]);
    expect(metrics.net(ChainMetric.ShastaProposalsProposed)).toEqual([1, 1]);
  });

  it("takes an orphaned Proposed out, and a re-inclusion in another block applies it once with that block's time", async () => {
    // Prepare: proposal 2 in block 102, which is reorged out; the proposal lands again in block 104'
    const { store, apply, step, oldest, metrics } = await fresh();
    const moved = at(104, { blockHash: hash("l1alt:104") });
    await apply(
      shastaProposed(1, at(101)),
      shastaProposed(2, at(102)),
      shastaProved({ first: 1, firstNew: 1, last: 1 }, at(103)),
    );

    // Act
    await store.reorg([l1Reorg(1, [at(102)], [at(102, { blockHash: hash("l1alt:102") })])]);
    const orphaned = { proposedAt: await step(2, "proposedAt"), oldest: await oldest() };
    await apply(shastaProposed(2, moved));
    await apply(shastaProposed(2, moved)); // redelivered

    // Assess
    expect(orphaned).toEqual({ proposedAt: undefined, oldest: { ageSeconds: 0 } });
    expect(await step(2, "proposedAt")).toBe(moved.timestamp);
    expect(await oldest()).toEqual({ ageSeconds: ageOf(moved), proposalId: 2 });
    // Proposal 2 is retracted while orphaned and counted again when re-included: one per proposal, net.
    expect(metrics.net(ChainMetric.ShastaProposalsProposed)).toEqual([1, 1]);
  });

  it("finalizes again when the chain flips back A→B→A, whatever order the marks arrive in", async () => {
    // Prepare
    const inOrder = await fresh();
    const reversed = await fresh();
    const orphan = l1Reorg(1, [proofBlock], [otherBlock]);
    const restore = l1Reorg(2, [otherBlock], [proofBlock]);
    const proposals = [shastaProposed(1, at(101)), shastaProposed(2, at(102))];

    // Act
    await inOrder.apply(...proposals, proof);
    await inOrder.store.reorg([orphan]);
    const afterOrphan = await inOrder.oldest();
    await inOrder.store.reorg([restore]);
    // The other store gets the restore before the orphan mark it supersedes, and the proof last.
    await reversed.apply(...proposals);
    await reversed.store.reorg([restore]);
    await reversed.store.reorg([orphan]);
    await reversed.apply(proof);

    // Assess
    expect(afterOrphan.proposalId).toBe(1);
    for (const s of [inOrder, reversed]) {
      expect(await s.step(1, "finalizedAt")).toBe(proofBlock.timestamp);
      expect(await s.step(2, "finalizedAt")).toBe(proofBlock.timestamp);
      expect(await s.oldest()).toEqual({ ageSeconds: 0 });
      expect(s.metrics.net(ChainMetric.ShastaTimeToFinalitySeconds)).toEqual([8 * 12, 9 * 12]);
    }
  });

  it("takes finality from the Proved that covers a proposal as new on the new chain", async () => {
    // Prepare: chain A proves 1–2 as new in block 110; chain B proves 1 in 111', then 1–3 with 2–3 new in 112'
    const { store, apply, step, oldest, metrics } = await fresh();
    const b111 = at(111, { blockHash: hash("l1alt:111") });
    const b112 = at(112, { blockHash: hash("l1alt:112") });
    await apply(shastaProposed(1, at(101)), shastaProposed(2, at(102)), shastaProposed(3, at(103)), proof);

    // Act
    await store.reorg([l1Reorg(1, [proofBlock], [otherBlock])]);
    await apply(
      shastaProved({ first: 1, firstNew: 1, last: 1 }, b111),
      shastaProved({ first: 1, firstNew: 2, last: 3 }, b112),
    );

    // Assess
    expect(await step(1, "finalizedAt")).toBe(b111.timestamp);
    expect(await step(2, "finalizedAt")).toBe(b112.timestamp);
    expect(await step(3, "finalizedAt")).toBe(b112.timestamp);
    expect(await oldest()).toEqual({ ageSeconds: 0 });
    // 1 and 2 were counted on chain A, retracted, and counted again with chain B's times.
    expect(metrics.net(ChainMetric.ShastaTimeToFinalitySeconds)).toEqual([9 * 12, 10 * 12, 10 * 12]);
  });

  it("changes nothing when observations and reorg events are replayed", async () => {
    // Prepare
    const { store, apply, item, metrics } = await fresh();
    const events = [
      shastaProposed(1, at(101)),
      shastaProposed(2, at(102)),
      shastaProposed(3, at(103)),
      proof,
    ];
    const reorgs = [l1Reorg(1, [proofBlock], [otherBlock]), l1Reorg(2, [at(103)])];
    await apply(...events);
    await store.reorg(reorgs);
    const snapshot = async () =>
      Promise.all(
        [1, 2, 3].map(async (id) =>
          Object.entries(await item(id)).filter(([k]) => k !== "rev" && k !== RECENT_WRITES_ATTRIBUTE),
        ),
      );
    const before = await snapshot();
    const samples = JSON.stringify([
      metrics.sorted(ChainMetric.ShastaTimeToFinalitySeconds),
      metrics.values(ChainMetric.ShastaProposalsProposed),
    ]);

    // Act: every reorg event twice more (also split the other way), then every observation again
    await store.reorg(reorgs);
    await Promise.all(reorgs.map((r) => store.reorg([r])));
    await apply(...events);

    // Assess
    expect(await snapshot()).toEqual(before);
    expect(
      JSON.stringify([
        metrics.sorted(ChainMetric.ShastaTimeToFinalitySeconds),
        metrics.values(ChainMetric.ShastaProposalsProposed),
      ]),
    ).toBe(samples);
  });
});
