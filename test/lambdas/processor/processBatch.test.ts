import {
  BatchExecuteStatementCommand,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createBatchProcessor } from "../../../lambdas/processor/processBatch.js";
import { InvalidMessageError, SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import { MAX_MESSAGE_BYTES } from "../../../lambdas/shared/events.js";
import { observationId } from "../../../lambdas/shared/keys.js";
import { ProcessorMetric } from "../../../lambdas/shared/metricNames.js";
import {
  existingItem,
  failedIds,
  forcedInclusion,
  l1Header,
  l2Header,
  lambdaContext,
  MemorySink,
  proposed,
  proved,
  rawRecord,
  readStatement,
  recordingMetrics,
  silentLogger,
  sqsRecord,
  statementResponder,
  testConfig,
} from "./helpers.js";

const ddb = new DynamoDBClient({ region: "us-east-1" });
const sqs = new SQSClient({ region: "us-east-1" });
const ddbMock = mockClient(ddb);
const sqsMock = mockClient(sqs);

afterEach(() => {
  ddbMock.reset();
  sqsMock.reset();
});

function setup(sink = new MemorySink()) {
  const metrics = recordingMetrics();
  const processor = createBatchProcessor({
    ddb,
    sqs,
    sink,
    config: testConfig(),
    metrics,
    logger: silentLogger,
    now: () => 1_700_000_000_000,
  });
  return { processor, sink, metrics };
}

/** The statements of every BatchExecuteStatement call, by kind. */
function statements(kind: string): string[] {
  return ddbMock
    .commandCalls(BatchExecuteStatementCommand)
    .flatMap((c) => c.args[0].input.Statements ?? [])
    .map(readStatement)
    .filter((s) => s.kind === kind)
    .map((s) => s.id);
}

describe("createBatchProcessor", () => {
  it("applies new records with one claim round trip, one sink write and one completion round trip", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    const { processor, sink, metrics } = setup();
    const events = [l1Header(1), l1Header(2), l2Header(3)];

    // Act
    const response = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext(),
    );

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(sink.writes).toEqual([events.map(observationId)]);
    expect(ddbMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(2);
    expect(statements("complete")).toEqual(events.map(observationId));
    expect(ddbMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(metrics.total(ProcessorMetric.RecordsProcessed)).toBe(3);
  });

  it("dead-letters each kind of poison with its reason and acknowledges it", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { processor, sink, metrics } = setup();
    const { type: _, ...untyped } = l1Header(1);
    const poison = [
      rawRecord("{not json", { messageId: "not-json" }),
      rawRecord(JSON.stringify({ ...l1Header(2), type: "l3_header" }), { messageId: "unknown-type" }),
      rawRecord(JSON.stringify({ ...l1Header(3), hash: "0x12" }), { messageId: "bad-schema" }),
      rawRecord(JSON.stringify(untyped), { messageId: "no-type" }),
      rawRecord(JSON.stringify({ ...l1Header(4), pad: "x".repeat(MAX_MESSAGE_BYTES) }), {
        messageId: "too-large",
      }),
    ];
    const good = sqsRecord(l1Header(5));

    // Act
    const response = await processor.process([...poison, good], lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual([]);
    const entries = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    const reasons = Object.fromEntries(
      entries.map((e) => [e.MessageAttributes?.sourceMessageId?.StringValue, e.MessageAttributes]),
    );
    expect(reasons["not-json"]?.errorType?.StringValue).toBe("InvalidMessageError");
    expect(reasons["unknown-type"]?.errorType?.StringValue).toBe("UnknownEventTypeError");
    expect(reasons["unknown-type"]?.eventType?.StringValue).toBe("l3_header");
    expect(reasons["bad-schema"]?.errorType?.StringValue).toBe("InvalidMessageError");
    expect(reasons["bad-schema"]?.errorMessage?.StringValue).toContain("hash");
    expect(reasons["bad-schema"]?.eventType?.StringValue).toBe("l1_header");
    expect(reasons["no-type"]?.errorType?.StringValue).toBe("InvalidMessageError");
    expect(reasons["too-large"]?.errorType?.StringValue).toBe("MessageTooLargeError");
    for (const entry of entries) {
      expect(entry.MessageDeduplicationId).toBe(entry.MessageAttributes?.sourceMessageId?.StringValue);
      expect(entry.MessageGroupId).toBe("poison:0");
      expect(entry.MessageAttributes?.sourceDedupId?.StringValue).toBe(entry.MessageDeduplicationId);
      expect(Number.isNaN(Date.parse(entry.MessageAttributes?.failedAt?.StringValue ?? ""))).toBe(false);
    }
    expect(entries.map((e) => e.MessageBody)).toEqual(poison.map((r) => r.body));
    expect(sink.writes).toEqual([[observationId(l1Header(5))]]);
    expect(metrics.total(ProcessorMetric.RecordsDeadLettered)).toBe(5);
  });

  it("reports poison as failures, with the rest of its group, when the DLQ does not take it", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    sqsMock.on(SendMessageBatchCommand).rejects(new Error("connect ECONNREFUSED"));
    const { processor, sink } = setup();
    const poison = rawRecord("{not json", { group: "l1:1", messageId: "poison" });
    const behind = sqsRecord(l1Header(17), { messageId: "behind" }); // l1:1 too (17 mod 16)
    const otherGroup = sqsRecord(l1Header(2), { messageId: "other" });

    // Act
    const response = await processor.process([poison, behind, otherGroup], lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual(["poison", "behind"]);
    expect(sink.writes).toEqual([[observationId(l1Header(2))]]);
    expect(statements("release")).toEqual([observationId(l1Header(17))]);
  });

  it("dead-letters a poison record once when a failure ahead of it in its group comes after (no second copy on redelivery)", async () => {
    // Prepare: group l1:1 holds a header, then poison; the sink fails the header after the poison went to the DLQ
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { processor, sink } = setup(new MemorySink().failNext(new SinkUnavailableError("sink is down")));
    const ahead = sqsRecord(l1Header(1), { messageId: "ahead" });
    const poison = rawRecord("{not json", { group: "l1:1", messageId: "poison" });
    const batch = [ahead, poison];

    // Act: SQS redelivers exactly what the first answer reported as failed
    const first = await processor.process(batch, lambdaContext());
    const again = batch.filter((r) => failedIds(first).includes(r.messageId));
    const second = await processor.process(again, lambdaContext("req-2"));

    // Assess
    const dlq = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => e.MessageAttributes?.sourceMessageId?.StringValue);
    expect(failedIds(first)).toEqual(["ahead"]);
    expect(failedIds(second)).toEqual([]);
    expect(dlq).toEqual(["poison"]);
    expect(sink.keys()).toHaveLength(1);
  });

  it("fails a group from its first retryable failure on, and leaves other groups alone", async () => {
    // Prepare: group l1:1 holds a1..a4 (blocks 1, 17, 33, 49; 16 partitions); a2's claim is throttled.
    const [a1, a2, a3, a4] = [l1Header(1), l1Header(17), l1Header(33), l1Header(49)];
    const [b1, b2] = [l1Header(2), l1Header(18)];
    ddbMock
      .on(BatchExecuteStatementCommand)
      .callsFake(
        statementResponder((s) =>
          s.kind === "claim" && s.id === observationId(a2)
            ? { Error: { Code: "ThrottlingError", Message: "slow down" } }
            : undefined,
        ),
      );
    const { processor, sink, metrics } = setup();
    const records = [a1, b1, a2, a3, b2, a4].map((e) => sqsRecord(e, { messageId: `m-${e.number}` }));

    // Act
    const response = await processor.process(records, lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual(["m-17", "m-33", "m-49"]);
    expect(sink.writes).toEqual([[a1, b1, b2].map(observationId)]);
    expect(statements("complete")).toEqual([a1, b1, b2].map(observationId));
    // a3 and a4 were claimed before their group failed: given back, never completed.
    expect(statements("release").sort()).toEqual([a3, a4].map(observationId).sort());
    expect(metrics.total(ProcessorMetric.RecordsRetried)).toBe(3);
    expect(metrics.total(ProcessorMetric.Throttles)).toBe(1);
  });

  it("acknowledges duplicates of completed observations without applying them", async () => {
    // Prepare: one duplicate is recognised from the failed INSERT, the other (no item returned) by reading it.
    const [fresh, seenA, seenB] = [l2Header(1), l2Header(2), l2Header(3)];
    ddbMock.on(BatchExecuteStatementCommand).callsFake(
      statementResponder((s) => {
        if (s.id === observationId(seenA) && s.kind === "claim") {
          return { Error: { Code: "DuplicateItem", Item: existingItem(s.id, "COMPLETED") } };
        }
        if (s.id === observationId(seenB) && s.kind === "claim") return { Error: { Code: "DuplicateItem" } };
        if (s.id === observationId(seenB) && s.kind === "read")
          return { Item: existingItem(s.id, "COMPLETED") };
        return undefined;
      }),
    );
    const { processor, sink, metrics } = setup();

    // Act
    const response = await processor.process(
      [fresh, seenA, seenB].map((e) => sqsRecord(e)),
      lambdaContext(),
    );

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(sink.writes).toEqual([[observationId(fresh)]]);
    expect(statements("complete")).toEqual([observationId(fresh)]);
    expect(statements("retake")).toEqual([]);
    expect(metrics.total(ProcessorMetric.DuplicatesDropped)).toBe(2);
  });

  it("applies an observation delivered twice in one batch once and acknowledges both", async () => {
    // Prepare: a redriven copy carries a different deduplication id but the same observation.
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    const { processor, sink, metrics } = setup();
    const event = l1Header(7);

    // Act
    const response = await processor.process(
      [sqsRecord(event), sqsRecord(event, { dedupId: "redriven-copy" })],
      lambdaContext(),
    );

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(statements("claim")).toEqual([observationId(event)]);
    expect(sink.writes).toEqual([[observationId(event)]]);
    expect(metrics.total(ProcessorMetric.DuplicatesDropped)).toBe(1);
  });

  it("reports every claimed record as failed when the sink write fails, and completes none", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    const { processor, metrics } = setup(new MemorySink().failNext(new SinkUnavailableError("sink is down")));
    const events = [l1Header(1), l1Header(2), l2Header(1)];
    const records = events.map((e) => sqsRecord(e));

    // Act
    const response = await processor.process(records, lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(statements("complete")).toEqual([]);
    expect(statements("release")).toEqual(events.map(observationId));
    expect(metrics.total(ProcessorMetric.SinkErrors)).toBe(1);
  });

  it("reports the whole batch as failures when DynamoDB throttles the claims", async () => {
    // Prepare
    ddbMock
      .on(BatchExecuteStatementCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "throttled", $metadata: {} }));
    const { processor, sink, metrics } = setup();
    const records = [l1Header(1), l2Header(1)].map((e) => sqsRecord(e));

    // Act
    const response = await processor.process(records, lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(sink.writes).toEqual([]);
    expect(metrics.total(ProcessorMetric.Throttles)).toBe(2);
    expect(metrics.total(ProcessorMetric.RecordsProcessed)).toBe(0);
  });

  it("records batch lifecycle steps with one if_not_exists update per batch item", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    ddbMock.on(UpdateItemCommand).resolves({});
    const { processor } = setup();
    const events = [proposed(5), l1Header(1), proved(5), proposed(7)];

    // Act
    const response = await processor.process(
      events.map((e) => sqsRecord(e)),
      lambdaContext(),
    );

    // Assess: batch 4 and 6 get the `next*` attributes of the proposals of 5 and 7.
    expect(failedIds(response)).toEqual([]);
    const updates = ddbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => u.Key?.pk?.S).sort()).toEqual(["batch#4", "batch#5", "batch#6", "batch#7"]);
    const batch5 = updates.find((u) => u.Key?.pk?.S === "batch#5");
    const steps = Object.values(batch5?.ExpressionAttributeNames ?? {});
    expect(steps).toEqual(expect.arrayContaining(["proposedAt", "provedAt"]));
    expect(batch5?.UpdateExpression).toMatch(/if_not_exists/);
    expect(batch5?.ReturnValues).toBe("ALL_OLD");
  });

  it("retries the lifecycle records and those behind them when the lifecycle update is throttled", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    ddbMock
      .on(UpdateItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} }));
    const { processor, sink, metrics } = setup();
    const lifecycle = sqsRecord(proposed(5), { messageId: "proposed" }); // group inbox:5
    // Same group inbox:5, no lifecycle step of its own: held back behind the failure.
    const behind = sqsRecord(forcedInclusion(21), { messageId: "behind" });
    const header = sqsRecord(l1Header(1), { messageId: "header" });

    // Act
    const response = await processor.process([lifecycle, header, behind], lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual(["proposed", "behind"]);
    expect(statements("complete")).toEqual([observationId(l1Header(1))]);
    expect(sink.keys()).toHaveLength(3); // applied, harmlessly, but never acknowledged
    expect(metrics.total(ProcessorMetric.Throttles)).toBe(1);
  });

  it("dead-letters a record the sink rejects as bad input and applies the rest", async () => {
    // Prepare
    ddbMock.on(BatchExecuteStatementCommand).callsFake(statementResponder());
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const bad = l2Header(9);
    const sink = new MemorySink().reject(observationId(bad), new InvalidMessageError("gasUsed overflows"));
    const { processor, metrics } = setup(sink);
    const records = [l2Header(8), bad, l1Header(8)].map((e) => sqsRecord(e));

    // Act
    const response = await processor.process(records, lambdaContext());

    // Assess
    expect(failedIds(response)).toEqual([]);
    expect(sink.keys()).toHaveLength(2);
    const entries = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => e.MessageAttributes?.errorType?.StringValue)).toEqual(["InvalidMessageError"]);
    expect(entries[0]?.MessageAttributes?.eventType?.StringValue).toBe("l2_header");
    // Released, not completed: a redrive after the fix is applied instead of dropped as a duplicate.
    expect(statements("release")).toEqual([observationId(bad)]);
    expect(statements("complete")).not.toContain(observationId(bad));
    expect(metrics.total(ProcessorMetric.RecordsDeadLettered)).toBe(1);
  });
});
