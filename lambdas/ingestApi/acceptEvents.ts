import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type ApiError, errorBody } from "../api/errors.js";
import { ConfigError } from "../shared/errors.js";
import { IngestApiMetric } from "../shared/metricNames.js";
import { eventIdOf } from "./apiEventMessage.js";
import { asDependencyThrottle } from "./dependencyThrottled.js";
import { type IngestFaultInjector, IngestFaultPoint } from "./ingestFaultPoints.js";
import type { IngestSettings } from "./ingestSettings.js";
import { type ObjectStore, payloadObjectKey } from "./objectStore.js";
import { enqueueOutbox } from "./outbox.js";
import type { OutboxChunk, OutboxRecord } from "./outboxRecord.js";
import type { IncomingEvent, ParsedEvent } from "./parseEventBatch.js";
import { payloadSha256, type ReceiptSigner, type SignedReceipt } from "./receipts.js";
import type { SchemaRegistry } from "./schemaRegistry.js";
import { type SequenceOutcome, type SequenceRequest, sequenceEvents } from "./sequenceEvents.js";
import type { SequenceStream, StreamCombiner } from "./streamCombiner.js";

export interface AcceptEventsDependencies {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly settings: IngestSettings;
  readonly signer: ReceiptSigner;
  readonly schemas: SchemaRegistry;
  /** Where payloads above settings.claimCheckThresholdBytes go; without one such events are refused at start. */
  readonly objectStore?: ObjectStore;
  readonly faults?: IngestFaultInjector;
  /** Group commit of one instance's concurrent requests per stream (buildIngestDependencies sets it). */
  readonly combiner?: StreamCombiner;
  /** Powertools Metrics (EMF) in Lambda; any recorder in tests. */
  readonly metrics?: Pick<Metrics, "addMetric">;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export type EventResult =
  | {
      readonly status: "accepted";
      readonly eventId: string;
      readonly sequence: number;
      readonly acceptedAt: string;
      readonly receipt: SignedReceipt;
      /** Schema violations of a `warn`-mode stream: accepted, recorded with the event. */
      readonly warnings?: readonly string[];
    }
  | {
      readonly status: "duplicate";
      readonly eventId: string;
      readonly sequence: number;
      readonly acceptedAt: string;
      readonly idempotentHit: true;
    }
  | {
      readonly status: "rejected";
      readonly error: { readonly code: string; readonly message: string; readonly field?: string };
    };

export interface AcceptEventsReturnType {
  /** One per input event, in order. */
  readonly results: EventResult[];
}

/**
 * Accept a parsed batch: schema modes, claim check, gap-free numbering exactly once (sequenceEvents),
 * then the queue (enqueueOutbox). An event is durable once numbered: a crash after that point loses
 * nothing (the outbox sweeper sends it), and a retry of the request answers `duplicate` with the same
 * eventId and sequence.
 */
export async function acceptEvents(
  deps: AcceptEventsDependencies,
  parsed: readonly ParsedEvent[],
): Promise<AcceptEventsReturnType> {
  const startedAt = (deps.now ?? Date.now)();
  const results: (EventResult | undefined)[] = new Array(parsed.length).fill(undefined);
  const byStream = new Map<string, { index: number; request: SequenceRequest }[]>();
  const firstIndex = new Map<string, number>(); // eventId → index of its first occurrence in this batch
  const repeats: { index: number; eventId: string }[] = [];
  await Promise.all(
    parsed.map(async (p, index) => {
      if (!p.ok) {
        results[index] = rejected(p.error);
        return;
      }
      const prepared = await prepare(deps, p.event, `events[${index}]`);
      if ("error" in prepared) {
        results[index] = rejected(prepared.error);
        return;
      }
      (byStream.get(p.event.stream) ?? byStream.set(p.event.stream, []).get(p.event.stream))?.push({
        index,
        request: prepared.request,
      });
    }),
  );
  // The same clientEventId twice in one batch is one event: the later ones answer as duplicates.
  for (const [stream, entries] of byStream) {
    entries.sort((a, b) => a.index - b.index);
    const unique = entries.filter(({ index, request }) => {
      const first = firstIndex.get(request.eventId);
      if (first === undefined) firstIndex.set(request.eventId, index);
      else repeats.push({ index, eventId: request.eventId });
      return first === undefined;
    });
    byStream.set(stream, unique);
  }
  const outcomes = new Map<string, SequenceOutcome>();
  const run = sequenceAndSend(deps);
  // Settled, not all-or-nothing: when one stream's sequencing fails (a throttle), the others' accepted
  // events are still on the queue before the request answers 503.
  const sequenced = await Promise.allSettled(
    [...byStream].map(async ([stream, entries]) => {
      const requests = entries.map((e) => e.request);
      const got = await (deps.combiner ? deps.combiner(stream, requests, run) : run(stream, requests));
      for (const [eventId, outcome] of got) outcomes.set(eventId, outcome);
    }),
  );
  const failed = sequenced.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  if (failed.length > 0) throw failed.find((e) => asDependencyThrottle(e)) ?? failed[0];
  for (const [, entries] of byStream) {
    for (const { index, request } of entries) results[index] = toResult(outcomes.get(request.eventId));
  }
  for (const { index, eventId } of repeats) results[index] = asDuplicate(outcomes.get(eventId));
  emitMetrics(deps, results as EventResult[], (deps.now ?? Date.now)() - startedAt);
  return { results: results as EventResult[] };
}

/**
 * One stream's call (the combiner's unit): number the events, then put what this call numbered on the
 * queue and delete the outbox entries of its transactions. Sending per call, not per request, is what
 * lets an entry go: a transaction of the combiner holds several requests' events, and only the call saw
 * them all.
 */
function sequenceAndSend(deps: AcceptEventsDependencies): SequenceStream {
  return async (stream, requests) => {
    const outcomes = await sequenceEvents(
      {
        ddb: deps.ddb,
        tableName: deps.tableName,
        signer: deps.signer,
        idempotencyTtlSeconds: deps.settings.idempotencyTtlSeconds,
        attempts: deps.settings.sequenceAttempts,
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      },
      stream,
      requests,
    );
    const accepted: OutboxRecord[] = [];
    const chunks = new Set<OutboxChunk>();
    for (const o of outcomes.values()) {
      if (o.status !== "accepted") continue;
      accepted.push(o.record);
      if (o.chunk) chunks.add(o.chunk);
    }
    deps.faults?.hit(IngestFaultPoint.AfterSequence, { accepted: accepted.length });
    const enqueued = await enqueueOutbox({ ...deps, partitions: deps.settings.partitions }, accepted, [
      ...chunks,
    ]);
    deps.metrics?.addMetric(IngestApiMetric.OutboxUnsent, MetricUnit.Count, enqueued.unsent);
    return outcomes;
  };
}

async function prepare(
  deps: AcceptEventsDependencies,
  event: IncomingEvent,
  field: string,
): Promise<{ request: SequenceRequest } | { error: ApiError }> {
  const check = await deps.schemas.check(event.stream, event.type, event.payload, field);
  if (!check.ok) return { error: check.error };
  const digest = payloadSha256(event.payload);
  let payloadRef: string | undefined;
  if (event.payloadBytes > deps.settings.claimCheckThresholdBytes) {
    if (!deps.objectStore) {
      throw new ConfigError("objectStore", "payloads above claimCheckThresholdBytes need an object store");
    }
    // Content-addressed: a retry or a duplicate writes the same object, so the put needs no condition.
    payloadRef = await deps.objectStore.put(payloadObjectKey(digest), event.payloadJson);
  }
  return {
    request: {
      eventId: eventIdOf(event.stream, event.clientEventId),
      eventType: event.type,
      clientEventId: event.clientEventId,
      ...(payloadRef === undefined ? { payloadJson: event.payloadJson } : { payloadRef }),
      payloadSha256: digest,
      payloadBytes: event.payloadBytes,
      schemaViolations: check.violations,
    },
  };
}

function toResult(outcome: SequenceOutcome | undefined): EventResult {
  if (outcome === undefined) throw new Error("invariant: every sequenced event has an outcome");
  if (outcome.status === "duplicate") return asDuplicate(outcome);
  const r: OutboxRecord = outcome.record;
  return {
    status: "accepted",
    eventId: r.eventId,
    sequence: r.sequence,
    acceptedAt: r.receipt.acceptedAt,
    receipt: r.receipt,
    ...(r.schemaViolations.length > 0 ? { warnings: r.schemaViolations } : {}),
  };
}

function asDuplicate(outcome: SequenceOutcome | undefined): EventResult {
  if (outcome === undefined) throw new Error("invariant: every sequenced event has an outcome");
  const { eventId, sequence, acceptedAt } =
    outcome.status === "duplicate"
      ? outcome
      : {
          eventId: outcome.record.eventId,
          sequence: outcome.record.sequence,
          acceptedAt: outcome.record.receipt.acceptedAt,
        };
  return { status: "duplicate", eventId, sequence, acceptedAt, idempotentHit: true };
}

function emitMetrics(
  deps: AcceptEventsDependencies,
  results: readonly EventResult[],
  latencyMs: number,
): void {
  if (!deps.metrics) return;
  const count = (status: EventResult["status"]) => results.filter((r) => r.status === status).length;
  deps.metrics.addMetric(IngestApiMetric.EventsAccepted, MetricUnit.Count, count("accepted"));
  deps.metrics.addMetric(IngestApiMetric.IdempotentHits, MetricUnit.Count, count("duplicate"));
  deps.metrics.addMetric(IngestApiMetric.EventsRejected, MetricUnit.Count, count("rejected"));
  deps.metrics.addMetric(IngestApiMetric.IngestLatencyMs, MetricUnit.Milliseconds, latencyMs);
}

const rejected = (error: ApiError): EventResult => ({
  status: "rejected",
  error: errorBody(error),
});
