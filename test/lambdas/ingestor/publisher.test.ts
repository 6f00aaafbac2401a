import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { publishEvents } from "../../../lambdas/ingestor/publisher.js";
import { RetryableError } from "../../../lambdas/shared/errors.js";
import type { L1HeaderEvent, PipelineEvent } from "../../../lambdas/shared/events.js";
import { eventKey, messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { capturingSqs, fakeChain } from "./helpers.js";

const QUEUE = "http://127.0.0.1:9324/000000000000/tidemark-events.fifo";
const noWait = { sleep: async () => {}, random: () => 0.5 };

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
    expect(result).toEqual({ sent: 25, retried: 0 });
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
    expect(result).toEqual({ sent: 3, retried: 3 });
    expect(calls).toBe(2);
  });
});
