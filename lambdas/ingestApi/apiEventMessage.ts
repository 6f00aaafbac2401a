import { createHash } from "node:crypto";
import * as z from "zod/mini";

/**
 * The wire format of an API event on the Tidemark queue: one home for the contract between the ingest
 * API (sender), the outbox sweeper and the processor (consumer). `type` is "api_event", beside the
 * chain events' types; the producer's own type travels as `eventType`.
 *
 * Exactly once: MessageDeduplicationId = eventId (SQS drops a re-send within 5 minutes) and the
 * processor's idempotency key is eventId too (it drops one after that); the sink row's key is
 * (stream, sequence), which eventId determines.
 */
export const API_EVENT_TYPE = "api_event";
export const API_EVENT_VERSION = 1;

export const ApiEventMessageSchema = z.object({
  v: z.literal(API_EVENT_VERSION),
  type: z.literal(API_EVENT_TYPE),
  stream: z.string(),
  sequence: z.int().check(z.positive()),
  eventId: z.string(),
  eventType: z.string(),
  clientEventId: z.string(),
  /** ISO 8601 UTC. */
  acceptedAt: z.string(),
  /** Hex SHA-256 of the payload's canonical JSON: the processor checks a claim-checked payload against it. */
  payloadSha256: z.string(),
  /** Inline payload, when it was at most the claim-check threshold. */
  payload: z.optional(z.unknown()),
  /** Where the payload is instead (`s3://bucket/payloads/<sha256>.json`). Exactly one of payload/payloadRef. */
  payloadRef: z.optional(z.string()),
});
export type ApiEventMessage = z.infer<typeof ApiEventMessageSchema>;

/** Streams and event types appear in keys and message groups: a conservative alphabet, no `#`. */
export const STREAM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const MAX_CLIENT_EVENT_ID_LENGTH = 256;

/**
 * eventId: SHA-256 of the stream and the client's id, so every retry, replica and restart derives the
 * same id without a lookup. 64 hex chars fit SQS's 128-char dedup id.
 */
export function eventIdOf(stream: string, clientEventId: string): string {
  return createHash("sha256").update(`tidemark-event-v1\n${stream}\n${clientEventId}`).digest("hex");
}

/** `api:{stream}:{sequence mod P}`: a stream's events spread over P groups; the processor is order-insensitive. */
export function apiMessageGroupId(stream: string, sequence: number, partitions: number): string {
  return `api:${stream}:${sequence % partitions}`;
}
