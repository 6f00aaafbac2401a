import { type ApiError, InvalidRequestError, LimitExceededError } from "../api/errors.js";
import { EVENT_TYPE_PATTERN, MAX_CLIENT_EVENT_ID_LENGTH, STREAM_PATTERN } from "./apiEventMessage.js";
import { canonicalJson } from "./canonicalJson.js";
import type { IngestSettings } from "./ingestSettings.js";

/** One event as the producer sent it, checked for shape. */
export interface IncomingEvent {
  readonly stream: string;
  readonly type: string;
  readonly clientEventId: string;
  readonly payload: unknown;
  /** canonicalJson(payload): what is hashed, measured and stored. */
  readonly payloadJson: string;
  readonly payloadBytes: number;
}

/** Each entry is an event to sequence, or why that one event is rejected (the others go on). */
export type ParsedEvent =
  | { readonly ok: true; readonly event: IncomingEvent }
  | { readonly ok: false; readonly error: ApiError; readonly stream?: string };

/**
 * A POST body `{ "events": [...] }` into events. Problems of the request as a whole (too large, not
 * JSON, no events array, too many events) throw; problems of one event reject only that event, so a
 * batch keeps its good events and the response says which field of which event is wrong.
 */
export function parseEventBatch(body: string, settings: IngestSettings): ParsedEvent[] {
  const bodyBytes = Buffer.byteLength(body, "utf8");
  if (bodyBytes > settings.maxBodyBytes) {
    throw new LimitExceededError(413, "maxBodyBytes", settings.maxBodyBytes, bodyBytes, "the body in bytes");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError(`body is not valid JSON: ${(error as Error).message}`, {
      field: "body",
      cause: error,
    });
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  if (typeof parsed !== "object" || parsed === null || !Array.isArray(events)) {
    throw new InvalidRequestError('body must be an object with an "events" array', { field: "events" });
  }
  if (events.length === 0) throw new InvalidRequestError("events must not be empty", { field: "events" });
  if (events.length > settings.maxEventsPerBatch) {
    throw new LimitExceededError(
      413,
      "maxEventsPerBatch",
      settings.maxEventsPerBatch,
      events.length,
      "the number of events",
    );
  }
  return events.map((raw, i) => parseEvent(raw, `events[${i}]`, settings));
}

function parseEvent(raw: unknown, at: string, settings: IngestSettings): ParsedEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return reject(`${at} must be an object`, at);
  }
  const { stream, type, clientEventId, payload } = raw as Record<string, unknown>;
  const streamOk = typeof stream === "string" && STREAM_PATTERN.test(stream);
  const known = streamOk ? { stream: stream as string } : {};
  if (!streamOk) {
    return reject(`${at}.stream must be a string matching ${STREAM_PATTERN}`, `${at}.stream`);
  }
  if (typeof type !== "string" || !EVENT_TYPE_PATTERN.test(type)) {
    return {
      ...reject(`${at}.type must be a string matching ${EVENT_TYPE_PATTERN}`, `${at}.type`),
      ...known,
    };
  }
  if (
    typeof clientEventId !== "string" ||
    clientEventId.length === 0 ||
    clientEventId.length > MAX_CLIENT_EVENT_ID_LENGTH
  ) {
    return {
      ...reject(
        `${at}.clientEventId must be a non-empty string of at most ${MAX_CLIENT_EVENT_ID_LENGTH} characters`,
        `${at}.clientEventId`,
      ),
      ...known,
    };
  }
  if (payload === undefined) return { ...reject(`${at}.payload is missing`, `${at}.payload`), ...known };
  const payloadJson = canonicalJson(payload);
  const payloadBytes = Buffer.byteLength(payloadJson, "utf8");
  if (payloadBytes > settings.maxPayloadBytes) {
    const error = new LimitExceededError(
      413,
      "maxPayloadBytes",
      settings.maxPayloadBytes,
      payloadBytes,
      `${at}.payload in bytes (canonical JSON)`,
    );
    return { ok: false, error, ...known };
  }
  return {
    ok: true,
    event: { stream: stream as string, type, clientEventId, payload, payloadJson, payloadBytes },
  };
}

function reject(message: string, field: string): { ok: false; error: ApiError } {
  return { ok: false, error: new InvalidRequestError(message, { field }) };
}
