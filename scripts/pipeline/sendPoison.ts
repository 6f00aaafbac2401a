import { randomUUID } from "node:crypto";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { MAX_MESSAGE_BYTES } from "../../lambdas/shared/events.js";

/** One of each kind of malformed input, with the error the processor must dead-letter it with. */
export const POISON_BODIES: readonly { readonly body: string; readonly errorType: string }[] = [
  { body: "this is not JSON {", errorType: "InvalidMessageError" },
  { body: JSON.stringify({ v: 1, type: "l3_header", number: 1 }), errorType: "UnknownEventTypeError" },
  {
    body: JSON.stringify({ v: 1, type: "l2_header", number: -5, hash: "0x1234" }),
    errorType: "InvalidMessageError",
  },
  {
    body: JSON.stringify({ v: 1, type: "l2_header", padding: "x".repeat(MAX_MESSAGE_BYTES + 1) }),
    errorType: "MessageTooLargeError",
  },
];

/**
 * Sends `count` malformed messages, cycling through POISON_BODIES from `offset`, each into a real
 * stream's group (the events behind it must keep flowing). Returns the SQS message ids sent, in order.
 */
export async function sendPoison(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  offset = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const poison = POISON_BODIES[(offset + i) % POISON_BODIES.length] as (typeof POISON_BODIES)[number];
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: poison.body,
        MessageGroupId: `l2:${(offset + i) % 16}`,
        MessageDeduplicationId: `poison-${randomUUID()}`,
      }),
    );
    if (out.MessageId) ids.push(out.MessageId);
  }
  return ids;
}
