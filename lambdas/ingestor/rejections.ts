import { createHash } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { sendToDeadLetterQueue } from "../processor/sendToDeadLetterQueue.js";
import { PermanentError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";

/**
 * Input the chain must not stop on and the sink cannot hold: a log that does not decode into a valid
 * event, a block whose logs do not fit one answer, a header no provider serves with a valid timestamp.
 * Each goes to the DLQ with its reason (guarantee 5: bad input ends where a person sees it).
 */
export type Rejection =
  | {
      readonly kind: "undecodable_log";
      readonly chain: Chain;
      readonly blockNumber: number;
      readonly blockHash: string;
      readonly txHash: string;
      readonly logIndex: number;
      readonly topics: readonly string[];
      /** The log's data, cut to MAX_DATA_CHARS. */
      readonly data: string;
      readonly reason: string;
    }
  | {
      readonly kind: "oversized_logs" | "invalid_header";
      readonly chain: Chain;
      readonly blockNumber: number;
      readonly blockHash: string | undefined;
      readonly reason: string;
    };

/** A rejection as the DLQ's reason attributes carry it (`errorType`). */
export class RejectedInputError extends PermanentError {}

/** Log data beyond this is cut from the dead letter (SQS's 256 KiB cap; the tx hash finds the rest). */
export const MAX_DATA_CHARS = 16_384;

/** Where the ingestor puts what it rejects; `DLQ_URL` unset, only the log line and the metric record it. */
export type RejectSink = (rejections: readonly Rejection[]) => Promise<void>;

/**
 * Dead-letter rejections with the shared reason attributes. The dedup id is a digest of the rejection,
 * so a poll that rejects the same input again (a retried range) sends no second copy.
 */
export function createDeadLetterRejectSink(sqs: SQSClient, queueUrl: string, now: () => number): RejectSink {
  return async (rejections) => {
    if (rejections.length === 0) return;
    const letters = rejections.map((rejection) => {
      const body = JSON.stringify({ rejectedBy: "ingestor", ...rejection });
      const id = createHash("sha256").update(body).digest("hex");
      const record = {
        messageId: id,
        body,
        attributes: { MessageGroupId: `ingestor-rejected-${rejection.chain}`, MessageDeduplicationId: id },
      } as unknown as SQSRecord;
      return { record, error: new RejectedInputError(rejection.reason), eventType: rejection.kind };
    });
    const outcomes = await sendToDeadLetterQueue(sqs, { queueUrl, letters, now });
    // A rejection not stored must stop the cursor: the next poll rejects it again.
    const failed = outcomes.find((o) => !o.ok);
    if (failed && !failed.ok) throw failed.error;
  };
}
