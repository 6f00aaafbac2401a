import { createHash, randomUUID } from "node:crypto";
import type { SQSRecord } from "aws-lambda";
import type { L2HeaderEvent } from "../lambdas/shared/events.js";
import { eventKey, messageGroupId, observationId } from "../lambdas/shared/keys.js";

/** Partitions of the synthetic stream: 16 message groups, as deployed by default. */
export const BENCH_PARTITIONS = 16;
export const BENCH_QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:tidemark-events.fifo";

const hex32 = (label: string) => `0x${createHash("sha256").update(label).digest("hex")}`;

/** An L2 header event, about 400 bytes of JSON; `salt` keeps runs apart (each run writes new rows). */
export function syntheticHeader(salt: string, n: number): L2HeaderEvent {
  return {
    v: 1,
    type: "l2_header",
    number: n,
    hash: hex32(`${salt}:${n}`),
    parentHash: hex32(`${salt}:${n - 1}`),
    timestamp: 1_750_000_000 + n * 2,
    gasUsed: String(1_000_000 + ((n * 7919) % 9_000_000)),
    gasLimit: "241000000",
    baseFeePerGas: String(10_000_000 + (n % 1000)),
    txCount: n % 50,
    miner: `0x${createHash("sha256")
      .update(`seq:${n % 3}`)
      .digest("hex")
      .slice(0, 40)}`,
  };
}

/** The record the Lambda SQS event source would hand the processor for this event. */
export function toSqsRecord(event: L2HeaderEvent, sequence: number): SQSRecord {
  const body = JSON.stringify(event);
  return {
    messageId: randomUUID(),
    receiptHandle: `rh-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AIDABENCH",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(18_000_000_000_000_000_000 + sequence),
      MessageGroupId: messageGroupId(event, BENCH_PARTITIONS),
      MessageDeduplicationId: observationId(event),
    },
    messageAttributes: {
      eventType: { stringValue: event.type, dataType: "String", stringListValues: [], binaryListValues: [] },
      eventKey: {
        stringValue: eventKey(event),
        dataType: "String",
        stringListValues: [],
        binaryListValues: [],
      },
    },
    md5OfBody: createHash("md5").update(body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: BENCH_QUEUE_ARN,
    awsRegion: "us-east-1",
  };
}

/** `batches` SQS batches of `size` records over fresh block numbers (distinct rows for every salt). */
export function syntheticBatches(salt: string, batches: number, size = 10): SQSRecord[][] {
  const out: SQSRecord[][] = [];
  let n = 1;
  for (let b = 0; b < batches; b++) {
    const batch: SQSRecord[] = [];
    for (let i = 0; i < size; i++, n++) batch.push(toSqsRecord(syntheticHeader(salt, n), n));
    out.push(batch);
  }
  return out;
}

/** The same records redelivered: new message ids and receive counts, same bodies and dedup ids. */
export function redeliver(batches: readonly SQSRecord[][]): SQSRecord[][] {
  return batches.map((batch) =>
    batch.map((r) => ({
      ...r,
      messageId: randomUUID(),
      attributes: { ...r.attributes, ApproximateReceiveCount: "2" },
    })),
  );
}
