import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { chunk } from "../shared/chunk.js";
import type { PermanentError, RetryableError } from "../shared/errors.js";
import { MessageAttribute } from "../shared/messageAttributes.js";
import { toRetryableError } from "./toRetryableError.js";

export interface DeadLetter {
  readonly record: SQSRecord;
  readonly error: PermanentError;
  /** The event type the body claims, when it could be read. */
  readonly eventType?: string;
}

export type DeadLetterOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: RetryableError };

export interface SendToDeadLetterQueueParameters {
  readonly queueUrl: string;
  readonly letters: readonly DeadLetter[];
  /** Epoch milliseconds, for `failedAt`. @default Date.now */
  readonly now?: () => number;
}

const MAX_ENTRIES = 10;
/** SendMessageBatch caps the whole request's payload (bodies and attributes) at 256 KiB. */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_ERROR_MESSAGE = 1000;

/**
 * Dead-letter poison records with their reason (the attributes of the shared contract). Outcomes are in
 * order and never thrown: a letter that was not accepted must be reported as a failure, never dropped.
 * The DLQ deduplicates by the source messageId, so sending the same record again is harmless.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  parameters: SendToDeadLetterQueueParameters,
): Promise<DeadLetterOutcome[]> {
  const failedAt = new Date((parameters.now ?? Date.now)()).toISOString();
  const entries = parameters.letters.map((letter, i) => toEntry(letter, `m${i}`, failedAt));
  const outcomes: DeadLetterOutcome[] = entries.map(() => ({ ok: true }));

  for (const batch of chunk(entries, {
    maxItems: MAX_ENTRIES,
    maxBytes: MAX_BATCH_BYTES,
    sizeOf: (e) => e.bytes,
  })) {
    try {
      const { Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: parameters.queueUrl, Entries: batch.map((c) => c.entry) }),
      );
      for (const failed of Failed) {
        const index = Number(failed.Id?.slice(1));
        outcomes[index] = {
          ok: false,
          error: toRetryableError(
            Object.assign(new Error(failed.Message ?? "entry rejected"), {
              name: failed.Code ?? "SendFailed",
            }),
            "dead-letter send",
            { senderFault: failed.SenderFault },
          ),
        };
      }
    } catch (error) {
      const failure = toRetryableError(error, "dead-letter send");
      for (const c of batch) outcomes[c.index] = { ok: false, error: failure };
    }
  }
  return outcomes;
}

interface IndexedEntry {
  readonly index: number;
  readonly entry: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

function toEntry(letter: DeadLetter, id: string, failedAt: string): IndexedEntry {
  const { record, error } = letter;
  const attributes: Record<string, MessageAttributeValue> = {
    [MessageAttribute.ErrorType]: str(error.name),
    [MessageAttribute.ErrorMessage]: str(truncate(error.message || error.name, MAX_ERROR_MESSAGE)),
    [MessageAttribute.SourceMessageId]: str(record.messageId),
    [MessageAttribute.FailedAt]: str(failedAt),
  };
  const dedupId = record.attributes.MessageDeduplicationId;
  if (dedupId) attributes[MessageAttribute.SourceDedupId] = str(dedupId);
  if (letter.eventType) attributes[MessageAttribute.EventType] = str(letter.eventType);
  const entry: SendMessageBatchRequestEntry = {
    Id: id,
    MessageBody: record.body,
    // Same group keeps the dead letters of one partition in their original order.
    MessageGroupId: record.attributes.MessageGroupId ?? "ungrouped",
    MessageDeduplicationId: record.messageId,
    MessageAttributes: attributes,
  };
  let bytes = Buffer.byteLength(record.body, "utf8");
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.StringValue ?? "") + "String".length;
  }
  return { index: Number(id.slice(1)), entry, bytes };
}

const str = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value });

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
