import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { MessageAttribute } from "../../lambdas/shared/messageAttributes.js";

export interface DlqMessage {
  readonly messageId: string;
  readonly body: string;
  /** Absent when SQS itself moved the message (maxReceiveCount reached), not the processor. */
  readonly sourceMessageId: string | undefined;
  readonly errorType: string | undefined;
  readonly errorMessage: string | undefined;
}

export interface InspectDlqReturnType {
  readonly messages: readonly DlqMessage[];
  readonly byErrorType: Readonly<Record<string, number>>;
}

/**
 * Reads the DLQ without consuming it: each message is received once with a visibility timeout of
 * `visibilityTimeoutSeconds` and becomes visible again afterwards (for `tidemark dlq` or a redrive).
 */
export async function inspectDlq(
  sqs: SQSClient,
  dlqUrl: string,
  visibilityTimeoutSeconds = 30,
): Promise<InspectDlqReturnType> {
  const seen = new Map<string, Message>();
  for (let empty = 0; empty < 2; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    for (const m of fresh) seen.set(m.MessageId as string, m);
    empty = fresh.length === 0 ? empty + 1 : 0;
  }
  const messages = [...seen.values()].map((m) => ({
    messageId: m.MessageId as string,
    body: m.Body ?? "",
    sourceMessageId: m.MessageAttributes?.[MessageAttribute.SourceMessageId]?.StringValue,
    errorType: m.MessageAttributes?.[MessageAttribute.ErrorType]?.StringValue,
    errorMessage: m.MessageAttributes?.[MessageAttribute.ErrorMessage]?.StringValue,
  }));
  const byErrorType: Record<string, number> = {};
  for (const m of messages)
    byErrorType[m.errorType ?? "(none)"] = (byErrorType[m.errorType ?? "(none)"] ?? 0) + 1;
  return { messages, byErrorType };
}
