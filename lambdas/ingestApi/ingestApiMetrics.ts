/**
 * Metric names the ingest API emits (EMF, namespace Tidemark), for the alarms issue 16 asks for:
 * a rejection burst, idempotent-hit rate > 10 % (IdempotentHits / (EventsAccepted + IdempotentHits)),
 * anchoring lag. To be moved into lambdas/shared/metricNames.ts beside the others (one home) once
 * that file is free to change.
 */
export const IngestApiMetric = {
  /** Events numbered for the first time. */
  EventsAccepted: "ApiEventsAccepted",
  /** Events answered `duplicate` (same clientEventId within the idempotency TTL, or repeated in a batch). */
  IdempotentHits: "ApiIdempotentHits",
  /** Events rejected (invalid field, payload limit, schema violation). */
  EventsRejected: "ApiEventsRejected",
  /** Accepted events SQS refused this time; the outbox sweeper sends them. */
  OutboxUnsent: "ApiOutboxUnsent",
  /** Milliseconds to accept a batch (schema checks, sequencing, send). */
  IngestLatencyMs: "ApiIngestLatencyMs",
} as const;
