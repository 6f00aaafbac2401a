import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { DEAD_LETTER_REASON_ATTRIBUTES, MessageAttribute } from "../../lambdas/shared/messageAttributes.js";
import { type DlqEntry, type DlqFilter, isEmptyDlqFilter, matchesDlqFilter, toEntry } from "./readDlq.js";

export interface RedriveDlqInRoundsParameters {
  readonly dlqUrl: string;
  readonly queueUrl: string;
  readonly filter?: DlqFilter;
  /** @default no limit */
  readonly maxMessages?: number;
  /** Called after each message moved, with the running total and the message as `tidemark dlq list` shows it. */
  readonly onProgress?: (moved: number, entry: DlqEntry) => void;
  /** How long received DLQ messages stay hidden while the redrive runs. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface RedriveDlqInRoundsReturnType {
  readonly moved: number;
  /** Left in the DLQ by the filter (each moved once to the DLQ's tail, see below). */
  readonly skipped: number;
  readonly movedIds: readonly string[];
}

/**
 * Move the DLQ messages that match the filter back to the source queue, in order within each group,
 * each exactly once (redriveDlq's fresh deduplication id per DLQ message).
 *
 * A FIFO queue hands out nothing more of a group while a message of it is held: a message the filter
 * leaves behind, at the head of its group, would hide every later message of the group. So a skipped
 * message is moved to the DLQ's tail (sent again, then deleted), which lets the group's next messages
 * through; the order among the skipped ones of a group is kept. When a message this run already moved
 * to the tail comes round again, the whole group has been seen and it is left alone. A crash between
 * the tail copy and the delete leaves a message twice in the DLQ: redriving both is harmless (the
 * processor's idempotency table drops the second).
 *
 * A message dead-lettered again while the redrive runs (it failed again: poison, or the cause is not
 * fixed) is left for the next redrive, so one run never moves a message round in a loop; it is known
 * by its DLQ send time, after the run started.
 */
export async function redriveDlqInRounds(
  sqs: SQSClient,
  p: RedriveDlqInRoundsParameters,
): Promise<RedriveDlqInRoundsReturnType> {
  const filter = p.filter ?? {};
  const max = p.maxMessages ?? Number.POSITIVE_INFINITY;
  const run = randomUUID();
  const startedAt = Date.now();
  const movedIds: string[] = [];
  const held: Message[] = [];
  let skipped = 0;
  try {
    for (let empty = 0; empty < 2 && movedIds.length < max; ) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: p.dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: p.visibilityTimeoutSeconds ?? 60,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["MessageGroupId", "SentTimestamp"],
        }),
      );
      const messages = out.Messages ?? [];
      empty = messages.length === 0 ? empty + 1 : 0;
      const doneGroups = new Set<string>();
      for (const message of messages) {
        const group = message.Attributes?.MessageGroupId ?? "";
        // Invariant: messages of one group arrive in order; once one is held back, the rest of the group waits.
        if (doneGroups.has(group) || movedIds.length >= max) {
          held.push(message);
          doneGroups.add(group);
          continue;
        }
        const deadLetteredAgain = Number(message.Attributes?.SentTimestamp ?? 0) > startedAt;
        if (deadLetteredAgain || message.MessageAttributes?.[SKIP_MARK]?.StringValue === run) {
          held.push(message);
          doneGroups.add(group);
          continue;
        }
        const entry = toEntry(message);
        if (matchesDlqFilter(entry, filter)) {
          await send(
            sqs,
            p.queueUrl,
            message,
            redriveDedupId(message.MessageId as string),
            (name) => !REASON_ATTRIBUTES.has(name),
            {
              [MessageAttribute.RedrivenFrom]: message.MessageId as string,
            },
          );
          movedIds.push(message.MessageId as string);
          p.onProgress?.(movedIds.length, entry);
        } else {
          await send(sqs, p.dlqUrl, message, redriveDedupId(`${run}:${message.MessageId}`), () => true, {
            [SKIP_MARK]: run,
          });
          skipped++;
        }
        // Only after the copy is sent: a crash in between repeats the send, which deduplicates.
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: p.dlqUrl, ReceiptHandle: message.ReceiptHandle as string }),
        );
      }
    }
  } finally {
    // What was held back is visible again at once, for an operator to look at.
    for (const m of held) {
      await sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: p.dlqUrl,
            ReceiptHandle: m.ReceiptHandle as string,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined);
    }
  }
  return { moved: movedIds.length, skipped, movedIds };
}

/** ≤ 128 characters, stable per DLQ message, never equal to an observation id. */
export function redriveDedupId(dlqMessageId: string): string {
  return `redrive-${createHash("sha256").update(dlqMessageId).digest("hex").slice(0, 48)}`;
}

/** Marks a message this run moved to the DLQ's tail (value: the run id). */
const SKIP_MARK = "redriveSkippedBy";

/** The processor's reason attributes, dropped on the way back to the queue (the next failure sets them anew). */
const REASON_ATTRIBUTES = new Set<string>([...DEAD_LETTER_REASON_ATTRIBUTES, SKIP_MARK]);

async function send(
  sqs: SQSClient,
  queueUrl: string,
  message: Message,
  dedupId: string,
  keep: (attribute: string) => boolean,
  extra: Record<string, string>,
): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {}))
    if (keep(name)) attributes[name] = value;
  for (const [name, value] of Object.entries(extra))
    attributes[name] = { DataType: "String", StringValue: value };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.Body ?? "",
      MessageGroupId: message.Attributes?.MessageGroupId ?? "redriven",
      MessageDeduplicationId: dedupId,
      MessageAttributes: attributes,
    }),
  );
}

export interface MoveTaskOutcome {
  readonly started: boolean;
  readonly taskHandle?: string;
  /** Why SQS's own move task was not used. */
  readonly reason?: string;
}

/**
 * SQS's own redrive (StartMessageMoveTask), for an unfiltered redrive on AWS. It moves messages back
 * to the source queue server-side; the processor's dead-lettered copies carry their own dedup ids (the
 * source message id), so nothing is dropped by the 5-minute window. Where SQS refuses (a FIFO queue
 * in a region without FIFO redrive, a local server), the caller falls back to redriveDlqInRounds.
 */
export async function startDlqMoveTask(
  sqs: SQSClient,
  p: { dlqArn: string; queueArn: string; filter?: DlqFilter },
): Promise<MoveTaskOutcome> {
  if (p.filter && !isEmptyDlqFilter(p.filter)) return { started: false, reason: "a filter was given" };
  try {
    const out = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: p.dlqArn, DestinationArn: p.queueArn }),
    );
    return { started: true, taskHandle: out.TaskHandle };
  } catch (error) {
    return {
      started: false,
      reason: `StartMessageMoveTask refused: ${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

/** Wait for the latest move task of the DLQ to finish; returns its status and the messages moved. */
export async function waitForDlqMoveTask(
  sqs: SQSClient,
  dlqArn: string,
  onProgress?: (moved: number, total: number) => void,
  pollMs = 2_000,
): Promise<{ status: string; moved: number; failureReason?: string }> {
  for (;;) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 1 }));
    const task = out.Results?.[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    onProgress?.(moved, Number(task?.ApproximateNumberOfMessagesToMove ?? moved));
    if (task?.Status !== "RUNNING") {
      return { status: task?.Status ?? "UNKNOWN", moved, failureReason: task?.FailureReason };
    }
    await sleepFor(pollMs);
  }
}
