import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { PipelineEventSchema } from "../../lambdas/shared/events.js";
import { MessageAttribute } from "../../lambdas/shared/messageAttributes.js";

export interface DlqEntry {
  readonly messageId: string;
  readonly groupId: string | undefined;
  readonly body: string;
  /** The pipeline event's type, when the body is one. */
  readonly eventType: string | undefined;
  /** The body is a valid pipeline event today (a redrive can succeed once the cause is fixed). */
  readonly valid: boolean;
  /** Set by the processor; absent when SQS moved the message after maxReceiveCount receives. */
  readonly errorType: string | undefined;
  readonly errorMessage: string | undefined;
  readonly failedAt: string | undefined;
  readonly sourceMessageId: string | undefined;
  /** How the message got here, for a person. */
  readonly reason: string;
  readonly sentAt: string | undefined;
  readonly receiveCount: number;
}

export interface ReadDlqReturnType {
  readonly entries: readonly DlqEntry[];
  /** ApproximateNumberOfMessages + NotVisible of the DLQ. */
  readonly approximateTotal: number;
}

/**
 * Read the DLQ. "peek" (the default) does not consume it: messages are received, then made visible
 * again at once. A FIFO queue hands out no more of a group while some of it is held, so a peek shows
 * only the first messages of each group (those one receive returns); `approximateTotal` says how many
 * there are in all. "take" deletes each batch as it is read, which lets every group's later messages
 * through: it reads everything, and empties the queue (after the evidence is kept, e.g. by the chaos
 * suite's final check); `approximateTotal` is then the count before the read.
 */
export async function readDlq(
  sqs: SQSClient,
  dlqUrl: string,
  limit = 1000,
  mode: "peek" | "take" = "peek",
): Promise<ReadDlqReturnType> {
  const before = mode === "take" ? await queueTotal(sqs, dlqUrl) : undefined;
  const seen = new Map<string, Message>();
  try {
    for (let empty = 0; empty < 2 && seen.size < limit; ) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["MessageGroupId", "SentTimestamp", "ApproximateReceiveCount"],
        }),
      );
      const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      for (const m of fresh) seen.set(m.MessageId as string, m);
      if (mode === "take") await remove(sqs, dlqUrl, fresh);
      empty = fresh.length === 0 ? empty + 1 : 0;
    }
  } finally {
    if (mode === "peek") await release(sqs, dlqUrl, [...seen.values()]);
  }
  return {
    entries: [...seen.values()].map(toEntry),
    approximateTotal: before ?? (await queueTotal(sqs, dlqUrl)),
  };
}

async function queueTotal(sqs: SQSClient, queueUrl: string): Promise<number> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = attributes.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

async function remove(sqs: SQSClient, dlqUrl: string, messages: readonly Message[]): Promise<void> {
  if (messages.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: dlqUrl,
      Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle as string })),
    }),
  );
}

async function release(sqs: SQSClient, dlqUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlqUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({
          Id: String(j),
          ReceiptHandle: m.ReceiptHandle as string,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

export function toEntry(m: Message): DlqEntry {
  const attr = (name: string) => m.MessageAttributes?.[name]?.StringValue;
  const body = m.Body ?? "";
  let eventType: string | undefined = attr(MessageAttribute.EventType);
  let valid = false;
  try {
    const parsed = PipelineEventSchema.safeParse(JSON.parse(body));
    valid = parsed.success;
    if (parsed.success) eventType = parsed.data.type;
  } catch {
    // not JSON: stays invalid
  }
  const errorType = attr(MessageAttribute.ErrorType);
  const sent = m.Attributes?.SentTimestamp;
  return {
    messageId: m.MessageId as string,
    groupId: m.Attributes?.MessageGroupId,
    body,
    eventType,
    valid,
    errorType,
    errorMessage: attr(MessageAttribute.ErrorMessage),
    failedAt: attr(MessageAttribute.FailedAt),
    sourceMessageId: attr(MessageAttribute.SourceMessageId),
    reason: errorType
      ? `${errorType}: ${attr(MessageAttribute.ErrorMessage) ?? ""}`
      : "retries exhausted: SQS moved it after maxReceiveCount failed receives (see the processor's logs)",
    sentAt: sent ? new Date(Number(sent)).toISOString() : undefined,
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
  };
}

/** A filter over DLQ entries, as `tidemark dlq list|redrive` take it. */
export interface DlqFilter {
  readonly errorType?: string;
  readonly eventType?: string;
  readonly groupId?: string;
  readonly ids?: readonly string[];
  /** Only bodies that are valid pipeline events (leave malformed poison behind). */
  readonly validOnly?: boolean;
  /** Only messages SQS moved after exhausting retries (no processor reason). */
  readonly retryExhaustedOnly?: boolean;
}

export function matchesDlqFilter(entry: DlqEntry, f: DlqFilter): boolean {
  if (f.errorType !== undefined && entry.errorType !== f.errorType) return false;
  if (f.eventType !== undefined && entry.eventType !== f.eventType) return false;
  if (f.groupId !== undefined && entry.groupId !== f.groupId) return false;
  if (f.ids !== undefined && !f.ids.includes(entry.messageId)) return false;
  if (f.validOnly && !entry.valid) return false;
  if (f.retryExhaustedOnly && entry.errorType !== undefined) return false;
  return true;
}

export const isEmptyDlqFilter = (f: DlqFilter): boolean =>
  Object.values(f).every((v) => v === undefined || v === false);

/** How many entries per reason; messages SQS moved by itself count as "retries exhausted". */
export function countByErrorType(entries: readonly DlqEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) {
    const reason = e.errorType ?? "retries exhausted";
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}
