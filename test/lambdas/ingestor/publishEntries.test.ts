import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BUNDLE_BYTES, toPublishEntries } from "../../../lambdas/ingestor/publishEntries.js";
import { publishEvents } from "../../../lambdas/ingestor/publisher.js";
import { decodeBundle, encodeBundle } from "../../../lambdas/shared/eventBundle.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import { messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { l1Header } from "../../support/events.js";
import { capturingSqs, eventsOfBody } from "./helpers.js";

const QUEUE = "http://127.0.0.1:9324/000000000000/tidemark-events.fifo";
const headers = (count: number, from = 1): PipelineEvent[] =>
  Array.from({ length: count }, (_, i) => l1Header(from + i));

/** What SQS counts toward a message's size: the body plus each attribute's name, type and value. */
const messageBytes = (entry: { MessageBody?: string; MessageAttributes?: object }) =>
  Buffer.byteLength(entry.MessageBody ?? "") +
  Object.entries(entry.MessageAttributes ?? {}).reduce(
    (sum, [name, v]) => sum + Buffer.byteLength(`${name}${v.DataType}${v.StringValue}`),
    0,
  );

describe("toPublishEntries", () => {
  it("packs each group's events, in order, into bundles within 64 KiB with a dedup id from their observations", () => {
    // Prepare: 4,000 headers over 16 groups, 250 each (~130 KiB of events per group)
    const events = headers(4000);

    // Act
    const entries = toPublishEntries(events, 16, DEFAULT_BUNDLE_BYTES);

    // Assess
    expect(entries.length).toBeLessThan(events.length / 50);
    for (const { entry, events: count } of entries) {
      expect(messageBytes(entry)).toBeLessThanOrEqual(64 * 1024);
      expect(entry.MessageAttributes?.eventType?.StringValue).toBe("bundle");
      const inner = eventsOfBody(entry.MessageBody);
      expect(inner).toHaveLength(count);
      expect(inner.every((e) => messageGroupId(e, 16) === entry.MessageGroupId)).toBe(true);
      expect(entry.MessageDeduplicationId).toBe(
        encodeBundle(inner.map((e) => ({ json: JSON.stringify(e), bytes: 0, dedupId: observationId(e) })))
          .dedupId,
      );
    }
    // Every event once; each group's events in publish order across its bundles.
    const byGroup = new Map<string, number[]>();
    for (const { entry } of entries) {
      const numbers = eventsOfBody(entry.MessageBody).map((e) => (e as { number: number }).number);
      byGroup.set(entry.MessageGroupId ?? "", [
        ...(byGroup.get(entry.MessageGroupId ?? "") ?? []),
        ...numbers,
      ]);
    }
    expect([...byGroup.values()].flat().sort((a, b) => a - b)).toEqual(events.map((_, i) => i + 1));
    for (const numbers of byGroup.values()) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("sends a group's lone event as the plain message it is without bundling, and everything plain at 0", () => {
    // Prepare: groups l1:1 (blocks 1, 17) and l1:2 (block 2)
    const events = [l1Header(1), l1Header(2), l1Header(17)];

    // Act
    const bundled = toPublishEntries(events, 16, DEFAULT_BUNDLE_BYTES);
    const plain = toPublishEntries(events, 16, 0);

    // Assess
    expect(bundled.map((e) => e.events)).toEqual([2, 1]);
    expect(bundled[1]?.entry).toEqual({ ...plain[1]?.entry, Id: "1" });
    expect(decodeBundle(bundled[1]?.entry.MessageBody ?? "")).toEqual({ kind: "single" });
    expect(plain.map((e) => e.events)).toEqual([1, 1, 1]);
    expect(() => toPublishEntries(events, 16, 100)).toThrow(/bundleBytes must be 0 or an integer/);
  });

  it("takes each event's deduplication id from dedupIdOf when given (a re-drive's fresh ids), bundles included", () => {
    // Prepare: groups l1:1 (blocks 1, 17, bundled) and l1:2 (block 2, plain)
    const events = [l1Header(1), l1Header(2), l1Header(17)];
    const fresh = (e: PipelineEvent) => `redrive-${observationId(e)}`.slice(0, 80);

    // Act
    const original = toPublishEntries(events, 16, DEFAULT_BUNDLE_BYTES);
    const redriven = toPublishEntries(events, 16, DEFAULT_BUNDLE_BYTES, fresh);

    // Assess: same messages, other ids; the plain one is exactly its fresh id
    expect(redriven.map((e) => e.entry.MessageBody)).toEqual(original.map((e) => e.entry.MessageBody));
    expect(redriven[1]?.entry.MessageDeduplicationId).toBe(fresh(l1Header(2)));
    for (const [i, e] of redriven.entries())
      expect(e.entry.MessageDeduplicationId).not.toBe(original[i]?.entry.MessageDeduplicationId);
  });
});

describe("publishEvents with bundles", () => {
  let sqs: ReturnType<typeof capturingSqs> | undefined;
  afterEach(() => sqs?.mock.reset());

  it("publishes a backfill range in a few calls within SendMessageBatch's limits, every event once", async () => {
    // Prepare
    const events = headers(4000);
    sqs = capturingSqs();

    // Act
    const result = await publishEvents(sqs.sqs, QUEUE, events, 16, { sleep: async () => {} });

    // Assess
    expect(result.sent).toBe(4000);
    expect(result.messages).toBe(sqs.accepted.length);
    expect(sqs.calls.length).toBeLessThan(4000 / 10 / 10);
    for (const entries of sqs.calls) {
      expect(entries.length).toBeLessThanOrEqual(10);
      expect(entries.reduce((sum, e) => sum + messageBytes(e), 0)).toBeLessThanOrEqual(256 * 1024);
    }
    expect(sqs.events()).toHaveLength(4000);
    expect(new Set(sqs.events().map(observationId)).size).toBe(4000);
  });
});
