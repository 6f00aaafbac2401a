import type { SQSRecord } from "aws-lambda";
import type * as z from "zod/mini";
import {
  InvalidMessageError,
  MessageTooLargeError,
  type PermanentError,
  UnknownEventTypeError,
} from "../shared/errors.js";
import { EVENT_TYPES, MAX_MESSAGE_BYTES, type PipelineEvent, PipelineEventSchema } from "../shared/events.js";
import { eventKey, observationId } from "../shared/keys.js";

export type ValidateRecordReturnType =
  | {
      readonly ok: true;
      readonly event: PipelineEvent;
      readonly key: string;
      readonly observationId: string;
      /**
       * False when the record carries a MessageDeduplicationId other than observationId(event).
       * Not fatal: a console redrive from the DLQ assigns new ids. The caller logs it.
       */
      readonly dedupIdMatches: boolean;
    }
  | {
      readonly ok: false;
      readonly error: PermanentError;
      /** The `type` the body claims, when it could be read (for the DLQ's `eventType` attribute). */
      readonly eventType?: string;
    };

/** Turn one SQS record into a PipelineEvent, or say why it can never become one. Pure: no I/O, no logging. */
export function validateRecord(record: SQSRecord): ValidateRecordReturnType {
  const context = { messageId: record.messageId };
  const bytes = Buffer.byteLength(record.body, "utf8");
  if (bytes > MAX_MESSAGE_BYTES) {
    return {
      ok: false,
      error: new MessageTooLargeError(`body is ${bytes} bytes, above the ${MAX_MESSAGE_BYTES}-byte limit`, {
        context: { ...context, bytes },
      }),
    };
  }

  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (cause) {
    return { ok: false, error: new InvalidMessageError("body is not JSON", { cause, context }) };
  }

  const claimed = isObject(json) ? json.type : undefined;
  const eventType = typeof claimed === "string" && claimed.length <= 256 ? claimed : undefined;
  if (eventType !== undefined && !(EVENT_TYPES as readonly string[]).includes(eventType)) {
    return {
      ok: false,
      eventType,
      error: new UnknownEventTypeError(`unknown event type "${eventType}"`, {
        context: { ...context, eventType },
      }),
    };
  }

  const parsed = PipelineEventSchema.safeParse(json);
  if (!parsed.success) {
    const failure = new InvalidMessageError(
      `body fails the event schema: ${summarize(parsed.error.issues)}`,
      {
        cause: parsed.error,
        context,
      },
    );
    return eventType === undefined ? { ok: false, error: failure } : { ok: false, error: failure, eventType };
  }

  const event = parsed.data;
  const id = observationId(event);
  const dedupId = record.attributes.MessageDeduplicationId;
  return {
    ok: true,
    event,
    key: eventKey(event),
    observationId: id,
    dedupIdMatches: dedupId === undefined || dedupId === id,
  };
}

/** The first few issues, each as `path: message`, short enough for the DLQ's errorMessage attribute. */
function summarize(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : "";
  return shown.join("; ") + more;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
