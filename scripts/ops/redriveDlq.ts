import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DEAD_LETTER_REASON_ATTRIBUTES, MessageAttribute } from "../../lambdas/shared/messageAttributes.js";

export interface RedriveDlqParameters {
  readonly dlqUrl: string;
  /** The source queue the messages go back to. */
  readonly queueUrl: string;
  /** Only messages it accepts are moved; the others stay in the DLQ. @default all */
  readonly filter?: (message: Message) => boolean;
  /** Stop after this many. @default no limit */
  readonly maxMessages?: number;
  /**
   * How long collected messages stay invisible in the DLQ while the redrive runs; a message the redrive
   * has not deleted by then (it crashed) reappears for the next redrive. @default 120
   */
  readonly visibilityTimeoutSeconds?: number;
}

export interface RedriveDlqReturnType {
  /** Sent back to the source queue and deleted from the DLQ. */
  readonly moved: number;
  /** Left in the DLQ: passed over by the filter, past `maxMessages`, or dead-lettered again during the run. */
  readonly skipped: number;
  /** The DLQ message ids moved, in order. */
  readonly movedIds: readonly string[];
}

/** Attributes the processor adds when dead-lettering; dropped on the way back (the next failure sets them anew). */
const REASON_ATTRIBUTES = new Set<string>(DEAD_LETTER_REASON_ATTRIBUTES);

/**
 * Move DLQ messages back to the source queue so that they are processed again (after the cause is fixed).
 *
 * Each message gets a fresh MessageDeduplicationId derived from its DLQ message id: reusing the original
 * one (the observation id) would be silently dropped by SQS if that id was sent within the last 5 minutes,
 * losing the message. Deriving it from the DLQ message id makes a redrive retried after a crash (sent, not
 * yet deleted) deduplicate against itself, and DynamoDB idempotency makes a replay of an event that was
 * meanwhile applied another way a counted duplicate: each message is applied exactly once.
 *
 * A message that fails again during the redrive and returns to the DLQ is not moved a second time by the
 * same run (it was sent to the DLQ after the run started). With a filter, a message passed over holds
 * back the later messages of its group for this run (FIFO order).
 */
export async function redriveDlq(
  sqs: SQSClient,
  parameters: RedriveDlqParameters,
): Promise<RedriveDlqReturnType> {
  const { dlqUrl, queueUrl, filter = () => true, maxMessages = Number.POSITIVE_INFINITY } = parameters;
  const visibility = parameters.visibilityTimeoutSeconds ?? 120;
  const startedAt = Date.now();
  const passed = new Map<string, Message>();
  const movedIds: string[] = [];
  // FIFO: a group's next message is delivered only once the one before it is deleted, so each message
  // is moved (sent, then deleted) as soon as it is received, round after round.
  for (let empty = 0; empty < 2 && movedIds.length < maxMessages; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibility,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "SentTimestamp"],
      }),
    );
    const received = out.Messages ?? [];
    let moved = 0;
    for (const m of received) {
      // Dead-lettered again during this run (it failed again): left for the next redrive, still in flight.
      const again = Number(m.Attributes?.SentTimestamp ?? 0) >= startedAt;
      if (again || movedIds.length >= maxMessages || !filter(m)) {
        // Stays in flight until the end, holding back the rest of its group: FIFO allows no way past it.
        passed.set(m.MessageId as string, m);
        continue;
      }
      await move(sqs, dlqUrl, queueUrl, m);
      movedIds.push(m.MessageId as string);
      moved++;
    }
    empty = moved === 0 ? empty + 1 : 0;
  }
  // The ones left are visible again at once, for an operator (or the next redrive) to look at.
  for (const m of passed.values()) {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: dlqUrl,
        ReceiptHandle: m.ReceiptHandle as string,
        VisibilityTimeout: 0,
      }),
    );
  }
  return { moved: movedIds.length, skipped: passed.size, movedIds };
}

async function move(sqs: SQSClient, dlqUrl: string, queueUrl: string, message: Message): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (!REASON_ATTRIBUTES.has(name)) attributes[name] = value;
  }
  attributes[MessageAttribute.RedrivenFrom] = {
    DataType: "String",
    StringValue: message.MessageId as string,
  };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.Body ?? "",
      MessageGroupId: message.Attributes?.MessageGroupId ?? "redriven",
      MessageDeduplicationId: redriveDedupId(message.MessageId as string),
      MessageAttributes: attributes,
    }),
  );
  // Only after the copy is on the source queue: a crash in between repeats the send, which dedups.
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: dlqUrl,
      Entries: [{ Id: "0", ReceiptHandle: message.ReceiptHandle as string }],
    }),
  );
}

/** ≤ 128 characters, stable per DLQ message, never equal to an observation id. */
export function redriveDedupId(dlqMessageId: string): string {
  return `redrive-${createHash("sha256").update(dlqMessageId).digest("hex").slice(0, 48)}`;
}
