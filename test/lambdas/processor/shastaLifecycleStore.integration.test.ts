import type { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createShastaLifecycleStore,
  shastaLifecycleUpdatesOf,
  UNFINALIZED_PROPOSAL,
} from "../../../lambdas/processor/shastaLifecycleStore.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import { ChainMetric } from "../../../lambdas/shared/metricNames.js";
import { UNPROVEN_INDEX } from "../../../lambdas/shared/tables.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionTables } from "../../../scripts/local/provision.js";
import { at, hash } from "../../support/events.js";
import { shastaProposed, shastaProved } from "../../support/shastaEvents.js";

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

function recorder() {
  const samples: { name: string; value: number }[] = [];
  return {
    addMetric: (name: string, _unit: unknown, value: number) => void samples.push({ name, value }),
    values: (name: string) => samples.filter((s) => s.name === name).map((s) => s.value),
  };
}

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
    const metrics = recorder();
    const store = createShastaLifecycleStore({
      ddb,
      tableName: stateTable,
      metrics: metrics as unknown as Pick<Metrics, "addMetric">,
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
