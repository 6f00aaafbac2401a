import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEventSourcePoller,
  type EventSourcePoller,
  type SqsBatchHandler,
} from "../../../scripts/local/eventSourcePoller.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { type ProvisionedQueues, provisionQueues } from "../../../scripts/local/provision.js";
import { type SqsServer, startSqsServer } from "../../../scripts/local/sqsServer.js";

let server: SqsServer;
let sqs: SQSClient;
const pollers: EventSourcePoller[] = [];

beforeAll(async () => {
  server = await startSqsServer();
  sqs = new SQSClient(localAwsConfig(server.endpoint));
});

afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
  sqs?.destroy();
  await server?.stop();
});

/** A fresh queue pair per test, so one test's leftovers cannot satisfy another's assertions. */
async function freshQueues(maxReceiveCount = 3): Promise<ProvisionedQueues> {
  const id = randomUUID().slice(0, 8);
  return provisionQueues({
    sqs,
    names: { queue: `poller-${id}.fifo`, deadLetterQueue: `poller-${id}-dlq.fifo` },
    visibilityTimeoutSeconds: 1,
    maxReceiveCount,
  });
}

async function send(queueUrl: string, messages: { body: string; group: string }[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({
          Id: String(j),
          MessageBody: m.body,
          MessageGroupId: m.group,
          MessageDeduplicationId: randomUUID(),
          MessageAttributes: { eventType: { DataType: "String", StringValue: "l2_header" } },
        })),
      }),
    );
  }
}

function poll(
  queues: ProvisionedQueues,
  handler: SqsBatchHandler,
  { concurrency = 1, batchSize = 10 } = {},
): EventSourcePoller {
  const poller = createEventSourcePoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    handler,
    concurrency,
    batchSize,
    waitTimeSeconds: 1,
  });
  pollers.push(poller);
  poller.start();
  return poller;
}

const countBy = (records: SQSRecord[]) =>
  records.reduce<Record<string, number>>((acc, r) => {
    acc[r.body] = (acc[r.body] ?? 0) + 1;
    return acc;
  }, {});

describe("createEventSourcePoller", () => {
  it("hands the handler Lambda-shaped SQS records", async () => {
    // Prepare
    const queues = await freshQueues();
    await send(queues.queueUrl, [{ body: "hello", group: "l2:0" }]);
    const seen: SQSEvent[] = [];
    const remaining: number[] = [];

    // Act
    const poller = poll(queues, async (event, context) => {
      seen.push(event);
      remaining.push(context.getRemainingTimeInMillis());
    });
    await poller.drain();
    await poller.stop();

    // Assess
    const record = seen[0]?.Records[0];
    expect(record).toMatchObject({
      body: "hello",
      eventSource: "aws:sqs",
      eventSourceARN: queues.queueArn,
      awsRegion: "us-east-1",
      attributes: { MessageGroupId: "l2:0", ApproximateReceiveCount: "1" },
      messageAttributes: { eventType: { dataType: "String", stringValue: "l2_header" } },
    });
    expect(record?.attributes.MessageDeduplicationId).toBeTruthy();
    expect(record?.attributes.SequenceNumber).toBeTruthy();
    expect(record?.md5OfBody).toBe("5d41402abc4b2a76b9719d911017c592");
    expect(remaining[0]).toBeGreaterThan(0);
  });

  it("deletes the records a partial batch response does not list and redelivers the failed one", async () => {
    // Prepare: three groups, so one receive returns all three.
    const queues = await freshQueues();
    await send(queues.queueUrl, [
      { body: "a", group: "g1" },
      { body: "b", group: "g2" },
      { body: "c", group: "g3" },
    ]);
    const delivered: SQSRecord[] = [];

    // Act: "b" fails on its first delivery only.
    const poller = poll(queues, async ({ Records }) => {
      delivered.push(...Records);
      const failed = Records.filter((r) => r.body === "b" && r.attributes.ApproximateReceiveCount === "1");
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await poller.drain({ timeoutMs: 15_000 });
    await poller.stop();

    // Assess
    expect(countBy(delivered)).toEqual({ a: 1, b: 2, c: 1 });
    expect(delivered.filter((r) => r.body === "b").map((r) => r.attributes.ApproximateReceiveCount)).toEqual([
      "1",
      "2",
    ]);
    expect(poller.stats).toMatchObject({ received: 4, succeeded: 3, failed: 1 });
  });

  it("redelivers the whole batch when the handler throws", async () => {
    // Prepare
    const queues = await freshQueues();
    await send(queues.queueUrl, [
      { body: "x", group: "g1" },
      { body: "y", group: "g2" },
    ]);
    const delivered: SQSRecord[] = [];
    let calls = 0;

    // Act
    const poller = poll(queues, async ({ Records }) => {
      delivered.push(...Records);
      calls++;
      if (calls === 1) throw new Error("sink unavailable");
    });
    await poller.drain({ timeoutMs: 15_000 });
    await poller.stop();

    // Assess: both came back, each exactly once more.
    expect(countBy(delivered)).toEqual({ x: 2, y: 2 });
    expect(poller.stats).toMatchObject({ succeeded: 2, failed: 2 });
  });

  it("treats an itemIdentifier outside the batch as a failure of the whole batch, as Lambda does", async () => {
    // Prepare
    const queues = await freshQueues();
    await send(queues.queueUrl, [{ body: "only", group: "g1" }]);
    const delivered: SQSRecord[] = [];

    // Act
    const poller = poll(queues, async ({ Records }) => {
      delivered.push(...Records);
      if (delivered.length === 1) return { batchItemFailures: [{ itemIdentifier: "" }] };
      return { batchItemFailures: [] };
    });
    await poller.drain({ timeoutMs: 15_000 });
    await poller.stop();

    // Assess
    expect(countBy(delivered)).toEqual({ only: 2 });
  });

  it("lets SQS move a record that fails maxReceiveCount times to the DLQ", async () => {
    // Prepare
    const queues = await freshQueues(2);
    await send(queues.queueUrl, [
      { body: "poison", group: "g1" },
      { body: "fine", group: "g2" },
    ]);
    const delivered: SQSRecord[] = [];

    // Act
    const poller = poll(queues, async ({ Records }) => {
      delivered.push(...Records);
      return {
        batchItemFailures: Records.filter((r) => r.body === "poison").map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    await poller.drain({ timeoutMs: 15_000 });
    await poller.stop();
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );

    // Assess
    expect(countBy(delivered)).toEqual({ poison: 2, fine: 1 });
    expect(dlq.Messages?.map((m) => m.Body)).toEqual(["poison"]);
  });

  it("keeps each group in order with one batch per group in flight across two receive loops", async () => {
    // Prepare: 4 groups x 6 messages, interleaved.
    const queues = await freshQueues();
    const groups = ["p0", "p1", "p2", "p3"];
    const messages = Array.from({ length: 6 }, (_, i) =>
      groups.map((group) => ({ body: `${group}-${i}`, group })),
    );
    await send(queues.queueUrl, messages.flat());
    const order = new Map<string, string[]>();
    const inFlightGroups = new Set<string>();
    let overlaps = 0;
    let concurrentBatches = 0;
    let maxConcurrentBatches = 0;

    // Act
    const poller = poll(
      queues,
      async ({ Records }) => {
        concurrentBatches++;
        maxConcurrentBatches = Math.max(maxConcurrentBatches, concurrentBatches);
        const batchGroups = Records.map((r) => r.attributes.MessageGroupId ?? "");
        for (const g of batchGroups) {
          if (inFlightGroups.has(g)) overlaps++;
          inFlightGroups.add(g);
        }
        for (const r of Records)
          order.set(r.attributes.MessageGroupId ?? "", [
            ...(order.get(r.attributes.MessageGroupId ?? "") ?? []),
            r.body,
          ]);
        // Hold the batch long enough for the other loop to receive meanwhile.
        await new Promise((r) => setTimeout(r, 30));
        for (const g of batchGroups) inFlightGroups.delete(g);
        concurrentBatches--;
      },
      // Batches of 2 leave groups for the second loop while the first one is busy.
      { concurrency: 2, batchSize: 2 },
    );
    await poller.drain({ timeoutMs: 20_000 });
    await poller.stop();

    // Assess
    expect(overlaps).toBe(0);
    expect(maxConcurrentBatches).toBe(2);
    for (const group of groups) {
      expect(order.get(group)).toEqual(messages.map((row) => row.find((m) => m.group === group)?.body));
    }
  });

  it("finishes the batch in flight before stop resolves", async () => {
    // Prepare
    const queues = await freshQueues();
    await send(queues.queueUrl, [{ body: "slow", group: "g1" }]);
    let started!: () => void;
    const handlerStarted = new Promise<void>((r) => {
      started = r;
    });
    let finished = false;

    // Act
    const poller = poll(queues, async () => {
      started();
      await new Promise((r) => setTimeout(r, 200));
      finished = true;
    });
    await handlerStarted;
    await poller.stop();

    // Assess: the handler completed and its record was deleted, not left for redelivery.
    expect(finished).toBe(true);
    expect(poller.stats).toMatchObject({ succeeded: 1, failed: 0 });
    await expect(poller.drain({ idleMs: 1200, timeoutMs: 5_000 })).resolves.toBeUndefined();
  });
});
