import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { publishEvents } from "../../../lambdas/ingestor/publisher.js";
import { RetryableError } from "../../../lambdas/shared/errors.js";
import type { L1HeaderEvent, PipelineEvent } from "../../../lambdas/shared/events.js";
import { createFaultInjector, FaultPoint, InjectedCrash } from "../../../lambdas/shared/faultPoints.js";
import { eventKey, messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { capturingSqs, fakeChain } from "./helpers.js";

const QUEUE = "http://127.0.0.1:9324/000000000000/tidemark-events.fifo";
// One event per message: these tests pin the lanes' per-message rules (bundles: publishEntries.test.ts).
const noWait = { sleep: async () => {}, random: () => 0.5, bundleBytes: 0 };

function headers(count: number): L1HeaderEvent[] {
  return fakeChain(count).map((b) => ({
    v: 1,
    type: "l1_header",
    number: b.number,
    hash: b.hash,
    parentHash: b.parentHash,
    timestamp: b.timestamp,
    gasUsed: "21000",
    gasLimit: "30000000",
    baseFeePerGas: "7",
    txCount: 1,
    miner: "0x00000000000000000000000000000000000000c0",
  }));
}

const numberOf = (body: string | undefined) => (JSON.parse(body ?? "{}") as L1HeaderEvent).number;

describe("publishEvents", () => {
  let sqs: ReturnType<typeof capturingSqs> | undefined;
  afterEach(() => sqs?.mock.reset());

  it("sends each event with its dedup id, group and attributes, at most 10 per batch", async () => {
    // Prepare
    const events = headers(25);
    sqs = capturingSqs();

    // Act
    const result = await publishEvents(sqs.sqs, QUEUE, events, 16, noWait);

    // Assess
    expect(result).toEqual({ sent: 25, messages: 25, retried: 0 });
    expect(sqs.calls.every((entries) => entries.length <= 10)).toBe(true);
    const first = sqs.accepted.find((e) => numberOf(e.MessageBody) === 3);
    const event = events[3] as PipelineEvent;
    expect(first).toMatchObject({
      MessageDeduplicationId: observationId(event),
      MessageGroupId: messageGroupId(event, 16),
      MessageAttributes: {
        eventType: { DataType: "String", StringValue: "l1_header" },
        eventKey: { DataType: "String", StringValue: eventKey(event) },
      },
    });
    expect(JSON.parse(first?.MessageBody ?? "")).toEqual(event);
    expect(sqs.accepted.map((e) => numberOf(e.MessageBody)).sort((a, b) => a - b)).toEqual(
      events.map((e) => e.number),
    );
  });

  it("retries only the failed entry and keeps its group's later entries behind it", async () => {
    // Prepare: 4 partitions, so blocks 1, 5, 9, 13, 17, 21 share group l1:1; block 5 fails once.
    const events = headers(25);
    let refused = 0;
    sqs = capturingSqs((entry) => numberOf(entry.MessageBody) === 5 && refused++ === 0);
    const retried: number[] = [];

    // Act
    await publishEvents(sqs.sqs, QUEUE, events, 4, { ...noWait, onRetry: (n) => retried.push(n) });

    // Assess: every event accepted exactly once, block 5 attempted twice, nothing else resent
    const attempts = sqs.calls.flat().map((e) => numberOf(e.MessageBody));
    expect(attempts.filter((n) => n === 5)).toHaveLength(2);
    expect(attempts.filter((n) => n !== 5)).toHaveLength(24);
    expect(new Set(sqs.accepted.map((e) => e.MessageDeduplicationId)).size).toBe(25);
    // Group l1:1 reached the queue in chain order despite the failure.
    const group1 = sqs.accepted
      .filter((e) => e.MessageGroupId === "l1:1")
      .map((e) => numberOf(e.MessageBody));
    expect(group1).toEqual([1, 5, 9, 13, 17, 21]);
    expect(retried).toEqual([5]); // block 5 and the four entries of its group held behind it
    // No batch carries two entries of one group (SQS could reorder them on a partial failure).
    for (const entries of sqs.calls) {
      expect(new Set(entries.map((e) => e.MessageGroupId)).size).toBe(entries.length);
    }
  });

  it("keeps a batch under the 256 KiB payload cap", async () => {
    // Prepare: reorg events with many orphaned blocks are large (~26 KiB each here).
    const orphaned = fakeChain(300).map((b) => ({ number: b.number, hash: b.hash }));
    const reorgs: PipelineEvent[] = Array.from({ length: 20 }, (_, i) => ({
      v: 1,
      type: "reorg",
      chain: "l2",
      commonAncestor: { number: 1000 + i, hash: orphaned[0]?.hash as `0x${string}` },
      depth: 300,
      orphaned,
      newHead: { number: 2000, hash: orphaned[1]?.hash as `0x${string}` },
      detectedAt: 1_700_000_000,
    }));
    sqs = capturingSqs();

    // Act
    await publishEvents(sqs.sqs, QUEUE, reorgs, 32, noWait);

    // Assess
    expect(sqs.accepted).toHaveLength(20);
    for (const entries of sqs.calls) {
      const bytes = entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody ?? ""), 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(sqs.calls.length).toBeGreaterThan(2);
  });

  it("throws a RetryableError when an entry keeps failing, after bounded attempts", async () => {
    // Prepare
    sqs = capturingSqs((entry) => numberOf(entry.MessageBody) === 2);

    // Act
    const error = await publishEvents(sqs.sqs, QUEUE, headers(4), 16, { ...noWait, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(sqs.calls.flat().filter((e) => numberOf(e.MessageBody) === 2)).toHaveLength(3);
    expect(sqs.accepted).toHaveLength(3);
  });

  it("treats a failed SendMessageBatch call as all its entries failed", async () => {
    // Prepare
    sqs = capturingSqs();
    let calls = 0;
    sqs.mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
      return {
        Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "x" })),
        Failed: [],
      };
    });

    // Act
    const result = await publishEvents(sqs.sqs, QUEUE, headers(3), 16, noWait);

    // Assess
    expect(result).toEqual({ sent: 3, messages: 3, retried: 3 });
    expect(calls).toBe(2);
  });
});

/** A deterministic pseudo-random sequence, so a failing schedule replays. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * An SQS mock that answers each SendMessageBatch after a random delay (so calls overlap and return
 * out of order), refuses some entries, throttles some whole calls, and, like SQS within its 5-minute
 * window, accepts a repeated dedup id without queueing it twice. It records what each group got, in
 * the order SQS accepted it, and which groups were in flight together.
 */
function unrulySqs(random: () => number, rates: { refuse: number; throttle: number }) {
  const sqs = capturingSqs();
  const queued = new Map<string, number[]>();
  const seen = new Set<string>();
  const acceptances = new Map<string, number>();
  const inFlight = new Map<number, string[]>();
  const overlaps: string[] = [];
  let calls = 0;
  let maxInFlight = 0;
  sqs.mock
    .on(SendMessageBatchCommand)
    .callsFake(async (input: { Entries: SendMessageBatchRequestEntry[] }) => {
      const call = calls++;
      const groups = input.Entries.map((e) => e.MessageGroupId as string);
      for (const other of inFlight.values()) overlaps.push(...groups.filter((g) => other.includes(g)));
      inFlight.set(call, groups);
      maxInFlight = Math.max(maxInFlight, inFlight.size);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 4)));
      inFlight.delete(call);
      if (random() < rates.throttle)
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      const Failed = [];
      const Successful = [];
      for (const entry of input.Entries) {
        if (random() < rates.refuse) {
          Failed.push({ Id: entry.Id, Code: "InternalError", SenderFault: false, Message: "try again" });
          continue;
        }
        const id = entry.MessageDeduplicationId as string;
        acceptances.set(id, (acceptances.get(id) ?? 0) + 1);
        if (!seen.has(id)) {
          seen.add(id);
          const group = entry.MessageGroupId as string;
          queued.set(group, [...(queued.get(group) ?? []), numberOf(entry.MessageBody)]);
        }
        Successful.push({ Id: entry.Id, MessageId: id, MD5OfMessageBody: "x" });
      }
      return { Failed, Successful };
    });
  return {
    ...sqs,
    queued,
    overlaps,
    acceptances,
    maxInFlight: () => maxInFlight,
  };
}

/** What each group must receive: the events' chain order, per group. */
function expectedGroups(events: readonly L1HeaderEvent[], partitions: number) {
  const groups = new Map<string, number[]>();
  for (const e of events) {
    const g = messageGroupId(e, partitions);
    groups.set(g, [...(groups.get(g) ?? []), e.number]);
  }
  return groups;
}

describe("publishEvents in concurrent lanes", () => {
  let sqs: ReturnType<typeof unrulySqs> | undefined;
  afterEach(() => sqs?.mock.reset());

  it.each([1, 2, 3])(
    "keeps every group's order and publishes each message once, under refusals, throttles and out-of-order answers (seed %i)",
    async (seed) => {
      // Prepare: 400 headers over 24 groups; 10 % of entries refused, 10 % of calls throttled
      const random = seeded(seed);
      const events = headers(400);
      sqs = unrulySqs(random, { refuse: 0.1, throttle: 0.1 });

      // Act
      const result = await publishEvents(sqs.sqs, QUEUE, events, 24, {
        ...noWait,
        lanes: 4,
        maxAttempts: 40,
      });

      // Assess
      expect(result.sent).toBe(400);
      expect(sqs.queued).toEqual(expectedGroups(events, 24));
      // Never two batches in flight with one group, never two entries of a group in one batch.
      expect(sqs.overlaps).toEqual([]);
      for (const call of sqs.mock.commandCalls(SendMessageBatchCommand)) {
        const groups = (call.args[0].input.Entries ?? []).map((e) => e.MessageGroupId);
        expect(new Set(groups).size).toBe(groups.length);
      }
      // An accepted entry is never sent again: each message was accepted exactly once.
      expect(sqs.acceptances.size).toBe(400);
      expect([...sqs.acceptances.values()].every((n) => n === 1)).toBe(true);
      // The lanes were used: several calls were in flight at once.
      expect(sqs.maxInFlight()).toBeGreaterThan(1);
    },
  );

  it("keeps to one call at a time with one lane", async () => {
    // Prepare
    sqs = unrulySqs(seeded(7), { refuse: 0, throttle: 0 });

    // Act
    await publishEvents(sqs.sqs, QUEUE, headers(100), 24, { ...noWait, lanes: 1 });

    // Assess
    expect(sqs.maxInFlight()).toBe(1);
    expect(sqs.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(10);
  });

  it("refuses a lane count that is not a positive integer", async () => {
    // Prepare
    sqs = unrulySqs(seeded(1), { refuse: 0, throttle: 0 });

    // Act
    const error = await publishEvents(sqs.sqs, QUEUE, headers(3), 16, { ...noWait, lanes: 0 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(RangeError);
    expect(sqs.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("dies at a mid-publish crash point without launching more, and a republish completes every group in order", async () => {
    // Prepare: the runtime dies at the 5th batch that returns with entries still unsent
    const events = headers(300);
    sqs = unrulySqs(seeded(11), { refuse: 0.05, throttle: 0.05 });
    let hits = 0;
    const faults = createFaultInjector((point) => point === FaultPoint.IngestorMidPublish && ++hits === 5);

    // Act: the crash, then the next attempt republishes the same range (the cursor did not move)
    const crash = await publishEvents(sqs.sqs, QUEUE, events, 24, { ...noWait, lanes: 4, faults }).catch(
      (e: unknown) => e,
    );
    const callsAtCrash = sqs.mock.commandCalls(SendMessageBatchCommand).length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const callsAfterCrash = sqs.mock.commandCalls(SendMessageBatchCommand).length;
    const partial = new Map(sqs.queued);
    await publishEvents(sqs.sqs, QUEUE, events, 24, { ...noWait, lanes: 4, maxAttempts: 40 });

    // Assess
    expect(crash).toBeInstanceOf(InjectedCrash);
    expect(callsAfterCrash).toBe(callsAtCrash);
    const queuedBeforeRepublish = [...partial.values()].flat().length;
    expect(queuedBeforeRepublish).toBeGreaterThan(0);
    expect(queuedBeforeRepublish).toBeLessThan(300);
    // Every message in the queue once (the dedup ids drop what the first attempt got through), in order.
    expect(sqs.queued).toEqual(expectedGroups(events, 24));
  });
});
