import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { RetryableError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { type FaultInjector, FaultPoint } from "../shared/faultPoints.js";
import { eventKey, messageGroupId, observationId } from "../shared/keys.js";
import { MessageAttribute } from "../shared/messageAttributes.js";

/** SQS limits for SendMessageBatch. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

export interface PublishEventsOptions {
  /** Rounds of sending (the first included) before giving up. @default 5 */
  readonly maxAttempts?: number;
  /** @default 100 */
  readonly baseDelayMs?: number;
  /** @default 2000 */
  readonly maxDelayMs?: number;
  /** Called with the number of entries about to be sent again. */
  readonly onRetry?: (entries: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
}

export interface PublishEventsReturnType {
  /** Messages accepted by SQS (a duplicate within the dedup window counts as accepted). */
  readonly sent: number;
  /** Entries that were sent more than once. */
  readonly retried: number;
}

interface Pending {
  readonly index: number;
  readonly group: string;
  readonly entry: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

interface Failure {
  readonly code: string;
  readonly message: string;
}

/**
 * Publish events to the FIFO queue: dedup id = observationId, group = messageGroupId.
 * Only failed entries are sent again, with backoff and full jitter. Within a group,
 * entries go out in order: a batch holds at most one entry per group (SQS reports
 * entries individually, so two of one group in a batch could land out of order), and
 * once an entry fails, its group's later entries wait behind it for the next round.
 * Throws RetryableError when entries still fail after the last round.
 */
export async function publishEvents(
  sqs: SQSClient,
  queueUrl: string,
  events: readonly PipelineEvent[],
  partitions: number,
  options: PublishEventsOptions = {},
): Promise<PublishEventsReturnType> {
  const { maxAttempts = 5, baseDelayMs = 100, maxDelayMs = 2000 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  let pending = events.map(toPending(partitions));
  let retried = 0;
  let failures = new Map<number, Failure>();
  for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) {
      options.onRetry?.(pending.length);
      retried += pending.length;
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
    }
    const round = await sendRound(sqs, queueUrl, pending, options.faults);
    failures = round.failures;
    pending = round.unsent;
  }
  if (pending.length > 0) {
    const sample = [...failures.entries()].slice(0, 5).map(([index, f]) => ({ index, ...f }));
    throw new RetryableError(
      `SQS did not accept ${pending.length} of ${events.length} messages after ${maxAttempts} attempts`,
      { context: { queueUrl, failures: sample } },
    );
  }
  return { sent: events.length, retried };
}

/**
 * One round over `pending`: send batches (≤ 10 entries, ≤ 256 KiB, at most one entry
 * per group) one after another until every entry was tried or is held behind a
 * failure of its group. Returns the refused entries and everything unsent, in order.
 */
async function sendRound(
  sqs: SQSClient,
  queueUrl: string,
  pending: readonly Pending[],
  faults: FaultInjector | undefined,
) {
  const failures = new Map<number, Failure>();
  const blocked = new Set<string>();
  let remaining = [...pending];
  for (;;) {
    const batch: Pending[] = [];
    // Groups already in this batch, or passed over: their later entries must wait for the next batch.
    const taken = new Set<string>();
    let bytes = 0;
    for (const p of remaining) {
      if (batch.length === MAX_ENTRIES) break;
      if (blocked.has(p.group) || taken.has(p.group)) continue;
      taken.add(p.group);
      if (batch.length > 0 && bytes + p.bytes > MAX_BATCH_BYTES) continue;
      batch.push(p);
      bytes += p.bytes;
    }
    if (batch.length === 0) break;
    const inBatch = new Set(batch);
    remaining = remaining.filter((p) => !inBatch.has(p));
    for (const [index, failure] of await sendBatch(sqs, queueUrl, batch)) {
      failures.set(index, failure);
      const failed = batch.find((p) => p.index === index);
      if (failed) blocked.add(failed.group);
    }
    if (remaining.length > 0) faults?.hit(FaultPoint.IngestorMidPublish, { unsent: remaining.length });
  }
  const left = new Set(remaining);
  return { failures, unsent: pending.filter((p) => failures.has(p.index) || left.has(p)) };
}

async function sendBatch(sqs: SQSClient, queueUrl: string, batch: readonly Pending[]) {
  const failures = new Map<number, Failure>();
  try {
    const out = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((p) => p.entry) }),
    );
    for (const f of out.Failed ?? []) {
      failures.set(Number(f.Id), { code: f.Code ?? "Unknown", message: f.Message ?? "" });
    }
  } catch (error) {
    // The whole call failed (after the SDK's own retries): every entry in it is unsent.
    const failure = {
      code: (error as Error)?.name ?? "Error",
      message: (error as Error)?.message ?? String(error),
    };
    for (const p of batch) failures.set(p.index, failure);
  }
  return failures;
}

function toPending(partitions: number) {
  return (event: PipelineEvent, index: number): Pending => {
    const body = JSON.stringify(event);
    const type = event.type;
    const key = eventKey(event);
    const entry: SendMessageBatchRequestEntry = {
      // The index is unique within any batch and maps a result back to its event.
      Id: String(index),
      MessageBody: body,
      MessageDeduplicationId: observationId(event),
      MessageGroupId: messageGroupId(event, partitions),
      MessageAttributes: {
        [MessageAttribute.EventType]: { DataType: "String", StringValue: type },
        [MessageAttribute.EventKey]: { DataType: "String", StringValue: key },
      },
    };
    // SQS counts the body plus each attribute's name, type and value toward the size limits.
    const bytes =
      Buffer.byteLength(body) +
      Buffer.byteLength(`eventType${"String"}${type}`) +
      Buffer.byteLength(`eventKey${"String"}${key}`);
    return { index, group: entry.MessageGroupId as string, entry, bytes };
  };
}
