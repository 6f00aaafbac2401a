import {
  ChangeMessageVisibilityBatchCommand,
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
 * Read the DLQ without consuming it: messages are received, then made visible again at once. A FIFO
 * queue hands out no more of a group while some of it is being read, so a group with more than 10
 * messages shows its first 10; `approximateTotal` says how many there are in all.
 */
export async function readDlq(sqs: SQSClient, dlqUrl: string, limit = 1000): Promise<ReadDlqReturnType> {
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
      empty = fresh.length === 0 ? empty + 1 : 0;
    }
  } finally {
    await release(sqs, dlqUrl, [...seen.values()]);
  }
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = attributes.Attributes ?? {};
  return {
    entries: [...seen.values()].map(toEntry),
    approximateTotal:
      Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
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
