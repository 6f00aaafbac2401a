import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageSystemAttributeName,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";

// biome-ignore lint/suspicious/noConfusingVoidType: same shape as aws-lambda's SQSHandler, so `async () => {}` fits.
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EventSourcePollerStats {
  /** Handler invocations. */
  readonly batches: number;
  /** Records handed to the handler (a redelivered message counts again). */
  readonly received: number;
  /** Records deleted after the handler succeeded for them. */
  readonly succeeded: number;
  /** Records left on the queue for redelivery (listed as failures, or the whole batch failed). */
  readonly failed: number;
}

/**
 * The handler ran past the function timeout. Lambda would freeze it; the local poller cannot, so the
 * invocation goes on in the background while its records are redelivered, as after a real timeout.
 */
export class HandlerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`handler timed out after ${timeoutMs} ms (the local poller cannot freeze it)`);
    this.name = "HandlerTimeoutError";
  }
}

export interface BatchOutcome {
  readonly messageIds: readonly string[];
  /** The messages deleted after this invocation (its acknowledgements). */
  readonly deletedIds: readonly string[];
  readonly succeeded: number;
  readonly failed: number;
  /** Set when the whole batch failed: what the handler threw, or why its response was rejected. */
  readonly error?: unknown;
}

export interface CreateEventSourcePollerParameters {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsBatchHandler;
  /** Records per invocation, 1–10 (FIFO event sources allow at most 10). @default 10 */
  readonly batchSize?: number;
  /** Parallel receive loops. @default 2 */
  readonly concurrency?: number;
  /** Long-poll wait per ReceiveMessage, 0–20 s (Lambda uses 20; shorter stops faster). @default 1 */
  readonly waitTimeSeconds?: number;
  /** Visibility timeout to request on receive. @default the queue's own */
  readonly visibilityTimeoutSeconds?: number;
  /** Function timeout: drives `getRemainingTimeInMillis`; a handler still running then fails its batch. @default 60_000 */
  readonly timeoutMs?: number;
  /** @default "tidemark-processor" */
  readonly functionName?: string;
  readonly onBatch?: (outcome: BatchOutcome) => void;
  /** Receive or delete errors (the loops keep going). @default print to stderr */
  readonly onError?: (error: unknown) => void;
}

export interface DrainOptions {
  /** How long the queue must stay empty (nothing visible, in flight, or delayed) to count as drained. @default 300 */
  readonly idleMs?: number;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

export interface EventSourcePoller {
  /** Start the receive loops; no-op while running. */
  start(): void;
  /** Stop receiving and wait for the batches in flight to finish; idempotent. */
  stop(): Promise<void>;
  /** Resolve once the queue has stayed empty, in-flight messages included, for `idleMs`. */
  drain(options?: DrainOptions): Promise<void>;
  readonly stats: EventSourcePollerStats;
}

/** System attributes a Lambda SQS record carries (FIFO ones included). */
const SYSTEM_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SentTimestamp",
  "SenderId",
  "MessageGroupId",
  "MessageDeduplicationId",
  "SequenceNumber",
  "AWSTraceHeader",
] as const satisfies readonly MessageSystemAttributeName[];

const ACCOUNT_ID = "000000000000";

/**
 * Local stand-in for the Lambda SQS event source mapping on a FIFO queue: long-polls, invokes the
 * handler with a real SQSEvent and a Lambda-like Context, deletes the records not reported in
 * `batchItemFailures`, and leaves the rest to reappear after the visibility timeout (and to reach the
 * DLQ after maxReceiveCount receives, which SQS itself enforces).
 * Invariant relied on: at most one batch per message group is in flight, because a FIFO queue does not
 * deliver a group's messages while any of them is in flight — the loops need no coordination.
 */
export function createEventSourcePoller(parameters: CreateEventSourcePollerParameters): EventSourcePoller {
  const {
    sqs,
    queueUrl,
    queueArn,
    handler,
    batchSize = 10,
    concurrency = 2,
    waitTimeSeconds = 1,
    visibilityTimeoutSeconds,
    timeoutMs = 60_000,
    functionName = "tidemark-processor",
    onBatch,
    onError = (error: unknown) => console.error("event source poller:", error),
  } = parameters;
  validateLimits(batchSize, concurrency, waitTimeSeconds);
  const awsRegion = queueArn.split(":")[3] || "us-east-1";
  const stats = { batches: 0, received: 0, succeeded: 0, failed: 0 };
  let inFlight = 0;
  let running = false;
  let abort = new AbortController();
  let loops: Promise<void>[] = [];
  let stopping: Promise<void> | undefined;

  async function receiveLoop(signal: AbortSignal): Promise<void> {
    while (running) {
      let messages: Message[];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
            AttributeNames: ["All"],
            MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        // Aborted by stop(); a message the server handed out meanwhile reappears after its visibility timeout.
        if (!running) return;
        onError(error);
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      // A received batch is always processed, even when stop() came meanwhile, as Lambda would.
      inFlight++;
      try {
        await processBatch(messages);
      } finally {
        inFlight--;
      }
    }
  }

  async function processBatch(messages: Message[]): Promise<void> {
    const records = messages.map((m) => toSqsRecord(m, queueArn, awsRegion));
    stats.batches++;
    stats.received += records.length;
    let failedIds: Set<string>;
    let batchError: unknown;
    try {
      const response = await invokeWithTimeout(records);
      failedIds = failedRecordIds(response, records);
    } catch (error) {
      // Whole batch failed: nothing is deleted; every record reappears after the visibility timeout.
      batchError = error;
      failedIds = new Set(records.map((r) => r.messageId));
    }
    const done = records.filter((r) => !failedIds.has(r.messageId));
    const deletedIds = await deleteRecords(sqs, queueUrl, done, onError);
    stats.succeeded += deletedIds.length;
    stats.failed += records.length - done.length;
    onBatch?.({
      messageIds: records.map((r) => r.messageId),
      deletedIds,
      succeeded: deletedIds.length,
      failed: records.length - done.length,
      ...(batchError === undefined ? {} : { error: batchError }),
    });
  }

  async function invokeWithTimeout(records: SQSRecord[]): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    const context = lambdaContext(functionName, awsRegion, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HandlerTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([handler({ Records: records }, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    stats,
    start() {
      if (running) return;
      running = true;
      stopping = undefined;
      abort = new AbortController();
      const signal = abort.signal;
      loops = Array.from({ length: concurrency }, () => receiveLoop(signal));
    },
    stop() {
      if (!running) return stopping ?? Promise.resolve();
      running = false;
      abort.abort();
      stopping = Promise.all(loops).then(() => undefined);
      return stopping;
    },
    async drain({ idleMs = 300, timeoutMs: drainTimeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + drainTimeoutMs;
      let emptySince: number | undefined;
      for (;;) {
        const depth = await queueDepth(sqs, queueUrl);
        const now = Date.now();
        if (depth === 0 && inFlight === 0) {
          emptySince ??= now;
          if (now - emptySince >= idleMs) return;
        } else {
          emptySince = undefined;
        }
        if (now >= deadline) {
          throw new Error(
            `queue not drained within ${drainTimeoutMs} ms: ${depth} messages on the queue, ${inFlight} batches in flight`,
          );
        }
        await sleep(Math.min(100, idleMs));
      }
    },
  };
}

function validateLimits(batchSize: number, concurrency: number, waitTimeSeconds: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be an integer from 1 to 10, got ${batchSize}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  if (waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new RangeError(`waitTimeSeconds must be from 0 to 20, got ${waitTimeSeconds}`);
  }
}

/** Deletes the records; returns the message ids SQS confirmed deleted. */
async function deleteRecords(
  sqs: SQSClient,
  queueUrl: string,
  records: SQSRecord[],
  onError: (error: unknown) => void,
): Promise<string[]> {
  if (records.length === 0) return [];
  try {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
    // An undeleted record is redelivered later: the handler's idempotency has to absorb that.
    if (out.Failed?.length) onError(new Error(`DeleteMessageBatch failed for ${JSON.stringify(out.Failed)}`));
    return (out.Successful ?? []).map((entry) => records[Number(entry.Id)]?.messageId ?? String(entry.Id));
  } catch (error) {
    onError(error);
    return [];
  }
}

/** Visible, in flight and delayed: the queue is drained only when all three are zero. */
async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Message ids the handler reported as failed. Like Lambda, a response that names no record of this
 * batch (empty, null, or unknown itemIdentifier) fails the whole batch.
 */
function failedRecordIds(response: unknown, records: SQSRecord[]): Set<string> {
  if (response === undefined || response === null) return new Set();
  const failures: unknown = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error("handler returned a batchItemFailures that is not an array");
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !ids.has(id)) {
      throw new Error(`handler reported an itemIdentifier that is not in the batch: ${JSON.stringify(id)}`);
    }
    failed.add(id);
  }
  return failed;
}

/** The record Lambda builds from an SQS message (same field names and attribute-value shape). */
export function toSqsRecord(message: Message, queueArn: string, awsRegion: string): SQSRecord {
  const { MessageId, ReceiptHandle, Body, MD5OfBody } = message;
  if (
    MessageId === undefined ||
    ReceiptHandle === undefined ||
    Body === undefined ||
    MD5OfBody === undefined
  ) {
    throw new Error(`SQS returned an incomplete message: ${JSON.stringify(message)}`);
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? "String",
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
    };
  }
  return {
    messageId: MessageId,
    receiptHandle: ReceiptHandle,
    body: Body,
    attributes: { ...message.Attributes } as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfBody: MD5OfBody,
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion,
  };
}

function lambdaContext(functionName: string, awsRegion: string, deadline: number): Context {
  const unsupported = () => {
    throw new Error("callback-style context.done/fail/succeed is not supported; return a promise");
  };
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${awsRegion}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
