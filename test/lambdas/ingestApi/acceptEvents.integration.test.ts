import type { Metrics } from "@aws-lambda-powertools/metrics";
import { GetItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptEvents, type EventResult } from "../../../lambdas/ingestApi/acceptEvents.js";
import { eventIdOf } from "../../../lambdas/ingestApi/apiEventMessage.js";
import { IngestFaultPoint } from "../../../lambdas/ingestApi/ingestFaultPoints.js";
import { ingestKeys } from "../../../lambdas/ingestApi/ingestTable.js";
import { createS3ObjectStore } from "../../../lambdas/ingestApi/objectStore.js";
import { drainOutbox } from "../../../lambdas/ingestApi/outbox.js";
import { parseEventBatch } from "../../../lambdas/ingestApi/parseEventBatch.js";
import { payloadSha256, verifyReceipt } from "../../../lambdas/ingestApi/receipts.js";
import { IngestApiMetric } from "../../../lambdas/shared/metricNames.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  body,
  buildDeps,
  drainQueue,
  event,
  eventItems,
  type IngestParts,
  outboxEntries,
  provisionIngest,
  startIngestParts,
} from "./helpers.js";

// Integration: the sequencing transaction, the outbox and the queue on DynamoDB Local and fauxqs.
let parts: IngestParts;
beforeAll(async () => {
  parts = await startIngestParts();
});
afterAll(async () => {
  await parts?.stop();
});

type Deps = Awaited<ReturnType<typeof buildDeps>>;

/** Metrics that keep every sample; `total` sums one name. */
function recorder() {
  const samples: { name: string; value: number }[] = [];
  return {
    addMetric: (name: string, _unit: unknown, value: number) => void samples.push({ name, value }),
    total: (name: string) => samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0),
  } as unknown as Pick<Metrics, "addMetric"> & { total(name: string): number };
}
const send = (deps: Deps, ...events: unknown[]) =>
  acceptEvents(deps, parseEventBatch(body(...events), deps.settings)).then((r) => r.results);

const accepted = (r: EventResult | undefined) => {
  if (r?.status !== "accepted") throw new Error(`expected accepted, got ${JSON.stringify(r)}`);
  return r;
};

describe("acceptEvents", () => {
  it("answers a resend with the same eventId and sequence: at once, 10 minutes later, and after a restart", async () => {
    // Prepare
    const names = await provisionIngest(parts);
    const metrics = recorder();
    const first = { ...(await buildDeps(parts, names)), metrics };
    // Act
    const [original] = await send(first, event("orders", "client_msg_001", { text: "Hello, Phase 3!" }));
    const [again] = await send(first, event("orders", "client_msg_001", { text: "Hello, Phase 3!" }));
    const later = { ...(await buildDeps(parts, names, { now: () => Date.now() + 10 * 60_000 })), metrics };
    const [tenMinutes] = await send(later, event("orders", "client_msg_001", { text: "Hello, Phase 3!" }));
    first.destroy();
    later.destroy();
    const restarted = { ...(await buildDeps(parts, names)), metrics };
    const [afterRestart] = await send(
      restarted,
      event("orders", "client_msg_001", { text: "Hello, Phase 3!" }),
    );
    // Assess
    const a = accepted(original);
    expect(a.eventId).toBe(eventIdOf("orders", "client_msg_001"));
    expect(a.sequence).toBe(1);
    for (const r of [again, tenMinutes, afterRestart]) {
      expect(r).toEqual({
        status: "duplicate",
        eventId: a.eventId,
        sequence: 1,
        acceptedAt: a.acceptedAt,
        idempotentHit: true,
      });
    }
    expect(await eventItems(restarted, "orders")).toHaveLength(1);
    expect([
      metrics.total(IngestApiMetric.EventsAccepted),
      metrics.total(IngestApiMetric.IdempotentHits),
    ]).toEqual([1, 3]);
    const onQueue = await drainQueue(parts.sqsServer.endpoint, names.queueUrl);
    expect(onQueue.map((m) => [m.eventId, m.sequence])).toEqual([[a.eventId, 1]]);
    // The idempotency record outlives SQS's 5-minute window by its own TTL (30 days by default).
    const { Item } = await restarted.ddb.send(
      new GetItemCommand({
        TableName: names.tableName,
        Key: { pk: { S: ingestKeys.idempotency(a.eventId).pk }, sk: { S: "-" } },
      }),
    );
    expect(Number(Item?.ttl?.N) - Date.parse(a.acceptedAt) / 1000).toBeGreaterThan(29 * 86_400);
    restarted.destroy();
  });

  it("gives 50 concurrent requests with one clientEventId one sequence number and one ack", async () => {
    // Prepare
    const names = await provisionIngest(parts);
    const deps = await buildDeps(parts, names);
    await send(deps, event("race", "before"));
    // Act
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(deps, event("race", "same-id", { attempt: i % 2 }))),
    );
    // Assess
    const flat = results.map((r) => r[0]);
    const acceptedOnes = flat.filter((r) => r?.status === "accepted");
    expect(acceptedOnes).toHaveLength(1);
    // The same ack for every one: eventId, sequence and acceptedAt of the one acceptance (the combiner
    // numbers the waiting requests together; the repeats are answered from that one outcome).
    const ack = (r: EventResult | undefined) =>
      r?.status === "rejected" ? "x" : `${r?.eventId}:${r?.sequence}:${r?.acceptedAt}`;
    expect(new Set(flat.map(ack))).toEqual(
      new Set([`${eventIdOf("race", "same-id")}:2:${acceptedOnes[0]?.acceptedAt}`]),
    );
    expect(await eventItems(deps, "race")).toHaveLength(2);
    deps.destroy();
  });

  it("numbers concurrent clients 1..N with no gap, and a crash before the send loses nothing", async () => {
    // Prepare: 8 clients × 6 batches of 5 on one stream; every 4th call crashes after its transaction,
    // every 5th after its send (before its outbox entry is deleted); a crashed client retries its batch.
    const names = await provisionIngest(parts);
    // Counted per point: the combiner numbers (and sends) several waiting batches in one call.
    const hits = new Map<string, number>();
    const crashes: string[] = [];
    const deps = await buildDeps(parts, names, {
      faults: {
        hit(point) {
          const n = hits.get(point) ?? 0;
          hits.set(point, n + 1);
          if (point === IngestFaultPoint.AfterSequence && n % 4 === 1) crashes.push(point);
          else if (point === IngestFaultPoint.AfterSend && n % 5 === 1) crashes.push(point);
          else return;
          throw new Error(`injected crash at ${point}`);
        },
      },
    });
    const results: EventResult[] = [];
    // Act
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let b = 0; b < 6; b++) {
          const events = Array.from({ length: 5 }, (_, i) => event("busy", `c${client}-b${b}-e${i}`));
          // A client whose request died retries it until it is answered: accepted-or-duplicate, same numbers.
          for (let attempt = 0; ; attempt++) {
            const got = await send(deps, ...events).catch(() => undefined);
            if (got) {
              results.push(...got);
              break;
            }
            if (attempt > 20) throw new Error("a batch never got through");
          }
        }
      }),
    );
    const beforeDrain = await drainQueue(parts.sqsServer.endpoint, names.queueUrl);
    const sweeper = { ...deps, faults: undefined, partitions: 16, graceSeconds: 0 }; // the sweeper does not crash
    const drained = await drainOutbox(sweeper);
    const afterDrain = await drainQueue(parts.sqsServer.endpoint, names.queueUrl);
    const drainedAgain = await drainOutbox(sweeper);
    // Assess
    expect(crashes).toContain(IngestFaultPoint.AfterSequence);
    expect(crashes).toContain(IngestFaultPoint.AfterSend);
    const sequences = results.map((r) => (r.status === "rejected" ? -1 : r.sequence)).sort((x, y) => x - y);
    expect(sequences).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    const messages = [...beforeDrain, ...afterDrain];
    expect(messages.map((m) => m.sequence).sort((x, y) => x - y)).toEqual(sequences);
    expect(new Set(messages.map((m) => m.eventId)).size).toBe(240);
    expect(drained.sent).toBeGreaterThan(0);
    expect(drainedAgain).toEqual({ sent: 0, unsent: 0 });
    expect(await outboxEntries(deps)).toEqual([]);
    for (const r of results)
      if (r.status === "accepted") expect(verifyReceipt(r.receipt, deps.signer.publicKeyHex)).toBe(true);
    deps.destroy();
  });
});

describe("acceptEvents receipts and claim checks", () => {
  it("rejects a tampered receipt", async () => {
    // Prepare
    const names = await provisionIngest(parts);
    const deps = await buildDeps(parts, names);
    const [r] = await send(deps, event("tamper", "one", { amount: 10 }));
    const receipt = accepted(r).receipt;
    // Act + Assess
    expect(verifyReceipt(receipt, deps.signer.publicKeyHex)).toBe(true);
    expect(verifyReceipt({ ...receipt, sequence: 2 }, deps.signer.publicKeyHex)).toBe(false);
    expect(verifyReceipt({ ...receipt, payloadSha256: "0".repeat(64) }, deps.signer.publicKeyHex)).toBe(
      false,
    );
    expect(verifyReceipt(receipt, "11".repeat(32))).toBe(false);
    deps.destroy();
  });

  it("claim-checks a payload above the threshold to S3 and sends a pointer with its hash", async () => {
    // Prepare: S3 as fauxqs serves it beside the queue.
    const names = await provisionIngest(parts);
    const base = await buildDeps(parts, names, { settings: { claimCheckThresholdBytes: 1024 } });
    const s3 = new S3Client({ ...localAwsConfig(parts.sqsServer.endpoint), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "claim-checks" }));
    const objectStore = createS3ObjectStore({ s3, bucket: "claim-checks" });
    const deps = { ...base, objectStore };
    const big = { blob: "x".repeat(200_000) };
    // Act
    const [r] = await send(deps, event("big", "large-1", big));
    const [message] = await drainQueue(parts.sqsServer.endpoint, names.queueUrl);
    // Assess
    const a = accepted(r);
    expect(message?.payload).toBeUndefined();
    expect(message?.payloadRef).toBe(`s3://claim-checks/payloads/${a.receipt.payloadSha256}.json`);
    const stored = await objectStore.get(`payloads/${a.receipt.payloadSha256}.json`);
    expect(payloadSha256(JSON.parse(stored))).toBe(a.receipt.payloadSha256);
    s3.destroy();
    base.destroy();
  });

  it("answers accepted, not duplicate, when its own committed transaction's answer was lost", async () => {
    // Prepare: a client whose first TransactWriteItems commits, then fails as a dropped connection would.
    const names = await provisionIngest(parts);
    const deps = await buildDeps(parts, names);
    const realSend = deps.ddb.send.bind(deps.ddb) as (command: unknown) => Promise<unknown>;
    let lost = 0;
    const ddb = new Proxy(deps.ddb, {
      get(target, prop, receiver) {
        if (prop !== "send") return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const out = await realSend(command);
          if (command instanceof TransactWriteItemsCommand && lost++ === 0) throw new Error("socket hang up");
          return out;
        };
      },
    });
    // Act
    const results = await send({ ...deps, ddb }, event("lossy", "a"), event("lossy", "b"));
    const queued = await drainQueue(parts.sqsServer.endpoint, names.queueUrl);
    // Assess
    expect(lost).toBe(1); // one transaction, whose commit was found again by its token: not re-sent
    expect(results.map((r) => [r.status, r.status === "rejected" ? 0 : r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
    ]);
    expect(queued.map((m) => m.sequence)).toEqual([1, 2]);
    deps.destroy();
  });
});
