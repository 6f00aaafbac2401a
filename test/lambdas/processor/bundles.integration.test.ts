import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createBatchProcessor } from "../../../lambdas/processor/processBatch.js";
import { SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import { encodeBundle } from "../../../lambdas/shared/eventBundle.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import { observationId } from "../../../lambdas/shared/keys.js";
import { ProcessorMetric } from "../../../lambdas/shared/metricNames.js";
import {
  failedIds,
  l1Header,
  lambdaContext,
  MemorySink,
  rawRecord,
  recordingMetrics,
  silentLogger,
  sqsRecord,
  testConfig,
} from "./helpers.js";
import { useProcessorParts } from "./localTables.js";

// Integration: bundles through the processor over the real DynamoDB Local (idempotency per inner
// event); the DLQ is a mock that records what it is sent.
const { dynamo, sqs, sqsMock } = useProcessorParts();

const NOW = Math.floor(Date.now() / 1000) * 1000;
/** A new header of group l1:1 (n ≡ 1 mod 16) at each call: the tests share one idempotency table. */
let nextHeader = 0;
const h = () => l1Header(16 * nextHeader++ + 1);

function setup(sink = new MemorySink()) {
  const metrics = recordingMetrics();
  const config = testConfig({
    IDEMPOTENCY_TABLE: dynamo.tables.idempotencyTable,
    STATE_TABLE: dynamo.tables.stateTable,
  });
  const processor = createBatchProcessor({
    ddb: dynamo.ddb,
    sqs,
    sink,
    config,
    metrics,
    logger: silentLogger,
    now: () => NOW,
  });
  return { processor, sink, metrics };
}

/** The record SQS would deliver for a bundle of these bodies (events or raw JSON), as the ingestor sends it. */
function bundleRecord(items: readonly (PipelineEvent | string)[], messageId: string) {
  const bundle = encodeBundle(
    items.map((item) =>
      typeof item === "string"
        ? { json: item, bytes: Buffer.byteLength(item), dedupId: item }
        : { json: JSON.stringify(item), bytes: 0, dedupId: observationId(item) },
    ),
  );
  return rawRecord(bundle.body, { messageId, group: "l1:1", dedupId: bundle.dedupId });
}

const dlqEntries = () =>
  sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);

describe("the processor with bundles", () => {
  it("applies each inner event once, and drops re-bundled and plain copies as duplicates", async () => {
    // Prepare
    const [a, b, c, d] = [h(), h(), h(), h()];
    const { processor, sink, metrics } = setup();

    // Act: [a,b,c]; then another bundling [b,c,d] (a new dedup id) and a plain copy of a
    const first = await processor.process([bundleRecord([a, b, c], "bundle-1")], lambdaContext());
    const second = await processor.process(
      [bundleRecord([b, c, d], "bundle-2"), sqsRecord(a, { group: "l1:1", messageId: "plain-a" })],
      lambdaContext(),
    );

    // Assess
    expect(failedIds(first)).toEqual([]);
    expect(failedIds(second)).toEqual([]);
    expect(sink.writes).toEqual([[a, b, c].map(observationId), [observationId(d)]]);
    expect(metrics.total(ProcessorMetric.RecordsProcessed)).toBe(4);
    expect(metrics.total(ProcessorMetric.DuplicatesDropped)).toBe(3);
  });

  it("dead-letters a poison inner event alone, with its reason, and applies its neighbours", async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const [a, c] = [h(), h()];
    const poison = JSON.stringify({ ...h(), hash: "0x12" });
    const { processor, sink, metrics } = setup();

    // Act
    const response = await processor.process([bundleRecord([a, poison, c], "bundle-p")], lambdaContext());

    // Assess: the bundle is acknowledged; the DLQ holds a message with only the bad event
    expect(failedIds(response)).toEqual([]);
    expect(sink.writes).toEqual([[a, c].map(observationId)]);
    const [letter, ...more] = dlqEntries();
    expect(more).toEqual([]);
    expect(letter?.MessageBody).toBe(poison);
    expect(letter?.MessageGroupId).toBe("l1:1");
    expect(letter?.MessageAttributes?.sourceMessageId?.StringValue).toBe("bundle-p#1");
    expect(letter?.MessageAttributes?.errorType?.StringValue).toBe("InvalidMessageError");
    expect(letter?.MessageAttributes?.errorMessage?.StringValue).toContain("hash");
    expect(metrics.total(ProcessorMetric.RecordsDeadLettered)).toBe(1);
  });

  it("redelivers a bundle whose event failed, holds its group behind it, and applies nothing twice", async () => {
    // Prepare: the sink fails the first write
    const [a, b, c] = [h(), h(), h()];
    const sink = new MemorySink().failNext(new SinkUnavailableError("sink is down"));
    const { processor } = setup(sink);
    const batch = () => [
      bundleRecord([a, b], "bundle-r"),
      sqsRecord(c, { group: "l1:1", messageId: "after" }),
    ];

    // Act
    const failed = await processor.process(batch(), lambdaContext("req-1"));
    const redelivered = await processor.process(batch(), lambdaContext("req-2"));
    const again = await processor.process(batch(), lambdaContext("req-3"));

    // Assess: SQS is told the bundle's own message id, once, and the record behind it
    expect(failedIds(failed)).toEqual(["bundle-r", "after"]);
    expect(failedIds(redelivered)).toEqual([]);
    expect(failedIds(again)).toEqual([]);
    expect([...sink.rows.keys()].sort()).toEqual([a, b, c].map(observationId).sort());
    expect(sink.writes.at(-1)).toEqual([a, b, c].map(observationId));
  });

  it("dead-letters a bundle whose envelope cannot be read as a whole, with the reason", async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const body = '{"type":"bundle","v":9,"events":[]}';
    const { processor, sink } = setup();

    // Act
    const response = await processor.process(
      [rawRecord(body, { messageId: "bad-bundle", group: "l1:1" }), sqsRecord(h(), { group: "l1:1" })],
      lambdaContext(),
    );

    // Assess
    expect(failedIds(response)).toEqual([]);
    const [letter] = dlqEntries();
    expect(letter?.MessageBody).toBe(body);
    expect(letter?.MessageAttributes?.errorType?.StringValue).toBe("InvalidBundleError");
    expect(letter?.MessageAttributes?.errorMessage?.StringValue).toBe("bundle version 9 is not 1");
    expect(letter?.MessageAttributes?.eventType?.StringValue).toBe("bundle");
    expect(sink.writes).toHaveLength(1);
  });
});
