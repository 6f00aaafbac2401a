import { canonicalJson } from "../ingestApi/canonicalJson.js";
import { InvalidMessageError } from "../shared/errors.js";
import type { ApiEvent } from "../shared/events.js";

/**
 * The ingest API's table: one row per accepted event, keyed by (stream, sequence) — the number the API
 * assigned exactly once — so a redelivered or re-sent message writes nothing new. Kept apart from the
 * chain tables (rows.ts spreads these in) because its rows are never orphaned: no canonical view.
 */
export interface ApiEventRow {
  stream: string;
  sequence: number;
  event_id: string;
  /** The producer's own type (the queue message's `eventType`). */
  event_type: string;
  client_event_id: string;
  /** ISO 8601 UTC, millisecond precision, exactly as the receipt signs it. */
  accepted_at: string;
  payload_sha256: string;
  /** Canonical JSON (RFC 8785) of the payload, also when it travelled by claim check. */
  payload: string;
  /** Where a claim-checked payload was fetched from; null when it came inline. */
  payload_ref: string | null;
  event_key: string;
  observation_id: string;
}

export interface ApiTableRowTypes {
  api_events: ApiEventRow;
}

export const API_TABLE_COLUMNS = {
  api_events: {
    stream: "text",
    sequence: "int",
    event_id: "text",
    event_type: "text",
    client_event_id: "text",
    accepted_at: "text",
    payload_sha256: "text",
    payload: "text",
    payload_ref: "text",
    event_key: "text",
    observation_id: "text",
  },
} as const satisfies { readonly [T in keyof ApiTableRowTypes]: Record<keyof ApiTableRowTypes[T], string> };

/** (stream, sequence): the API assigns each pair once, so it is the event's identity in every store. */
export const API_PRIMARY_KEYS = {
  api_events: ["stream", "sequence"],
} as const satisfies { readonly [T in keyof ApiTableRowTypes]: readonly (keyof ApiTableRowTypes[T])[] };

export const API_NULLABLE_COLUMNS: readonly string[] = ["payload_ref"];

export const API_TABLE_NAMES = Object.keys(API_TABLE_COLUMNS) as (keyof ApiTableRowTypes)[];

/** True for the ingest API's tables (their own migration, no canonical view). */
export const isApiTable = (table: string): boolean => (API_TABLE_NAMES as readonly string[]).includes(table);

/**
 * The row of an API event. The payload must be present: a claim-checked one is fetched (and its
 * SHA-256 checked) before the sink sees it (withClaimCheckedPayloads); one missing here is a bug in
 * that wiring, so it fails as bad input rather than writing a row without its payload.
 */
export function apiEventRowsOf(
  event: ApiEvent,
  ids: { event_key: string; observation_id: string },
): { table: "api_events"; row: ApiEventRow }[] {
  if (event.payload === undefined) {
    throw new InvalidMessageError(
      `api event ${event.eventId} (${event.stream} #${event.sequence}) has no payload: a claim-checked payload must be fetched before the sink write`,
      { context: { eventId: event.eventId, payloadRef: event.payloadRef } },
    );
  }
  return [
    {
      table: "api_events",
      row: {
        stream: event.stream,
        sequence: event.sequence,
        event_id: event.eventId,
        event_type: event.eventType,
        client_event_id: event.clientEventId,
        accepted_at: event.acceptedAt,
        payload_sha256: event.payloadSha256,
        payload: canonicalJson(event.payload),
        payload_ref: event.payloadRef ?? null,
        ...ids,
      },
    },
  ];
}
