import { randomBytes } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { ObjectStore } from "../ingestApi/objectStore.js";
import { PermanentError, RetryableError, SinkUnavailableError, ThrottledError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { type FaultInjector, FaultPoint } from "../shared/faultPoints.js";
import { ProcessorMetric } from "../shared/metricNames.js";
import type { Sink, SinkRecord } from "../sink/Sink.js";
import type { ProcessorConfig } from "./config.js";
import { type Claim, createIdempotencyStore } from "./idempotencyStore.js";
import { createLifecycleStore, type LifecycleUpdate, lifecycleUpdateOf } from "./lifecycleStore.js";
import { sendToDeadLetterQueue } from "./sendToDeadLetterQueue.js";
import { toRetryableError } from "./toRetryableError.js";
import { validateRecord } from "./validateRecord.js";
import { withClaimCheckedPayloads } from "./withClaimCheckedPayloads.js";

export type ProcessorLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;
export type ProcessorMetrics = Pick<Metrics, "addMetric">;
/** The parts of the Lambda context the processor uses (the local runner builds its own). */
export type ProcessorContext = Pick<Context, "awsRequestId"> &
  Partial<Pick<Context, "getRemainingTimeInMillis">>;

export interface CreateBatchProcessorParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sink: Sink;
  readonly config: ProcessorConfig;
  readonly metrics: ProcessorMetrics;
  readonly logger: ProcessorLogger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
  /** Where claim-checked API event payloads are (S3 in Lambda); without one such events are dead-lettered. */
  readonly objectStore?: ObjectStore;
}

export interface BatchProcessor {
  /** Process one SQS batch; the response lists every record SQS must redeliver. Throws only on a bug. */
  process(records: readonly SQSRecord[], context: ProcessorContext): Promise<SQSBatchResponse>;
}

/** Why a record ended acknowledged. */
type Outcome = "processed" | "duplicate" | "deadLettered";

interface Slot {
  readonly record: SQSRecord;
  /** FIFO order holds within a message group only; a standard queue's records are independent. */
  readonly group: string;
  readonly valid?: SinkRecord;
  /** Why the record can never succeed: found by validation, or by the sink rejecting its rows. */
  poison?: { readonly error: PermanentError; readonly eventType?: string };
  /** An earlier record of this batch with the same observation (e.g. a redriven copy): shares its fate. */
  leader?: Slot;
  claim?: Claim;
  state: "pending" | "done" | "failed";
  outcome?: Outcome;
  error?: Error;
  /** messageId of the earlier failure this record was held back behind. */
  blockedBy?: string;
}

/**
 * The processor's domain logic, batched per SQS batch: validate all → claim all (1 round trip) →
 * dead-letter poison → one sink write → lifecycle (1 round trip) → complete all (1 round trip).
 *
 * FIFO contract of the Lambda SQS event source: once a record of a message group fails, it and every
 * later record of that group are reported as failures and not applied (or, when a later stage fails,
 * applied but never acknowledged — harmless because the sink and the lifecycle updates are idempotent).
 * Other groups go on. Claims come first so that a held or throttled claim stops its group before any
 * poison behind it is dead-lettered out of order.
 */
export function createBatchProcessor(parameters: CreateBatchProcessorParameters): BatchProcessor {
  const { ddb, sqs, config, metrics, logger, faults } = parameters;
  // Every write (also the one-at-a-time isolation) carries claim-checked API payloads, fetched and checked.
  const sink = withClaimCheckedPayloads(parameters.sink, parameters.objectStore);
  const now = parameters.now ?? Date.now;
  const idempotency = createIdempotencyStore({
    ddb,
    tableName: config.idempotencyTable,
    claimTimeoutSeconds: config.claimTimeoutSeconds,
    ttlDays: config.idempotencyTtlDays,
    now,
  });
  // The lifecycle writes emit the chain metrics (BatchesProposed, prove/verify time, cadences), once per batch.
  const lifecycle = createLifecycleStore({ ddb, tableName: config.stateTable, metrics });
  let leaseChecked = false;

  async function process(
    records: readonly SQSRecord[],
    context: ProcessorContext,
  ): Promise<SQSBatchResponse> {
    checkLease(context);
    const owner = `${context.awsRequestId}:${randomBytes(4).toString("hex")}`;
    const slots = records.map(toSlot);
    // One statement per item: BatchExecuteStatement rejects a batch that names an item twice.
    const leaders = new Map<string, Slot>();
    for (const slot of slots) {
      if (!slot.valid) continue;
      const leader = leaders.get(slot.valid.observationId);
      if (leader) slot.leader = leader;
      else leaders.set(slot.valid.observationId, slot);
    }
    // Throttles counts records held back by a throttled call (and unrecorded completions).
    let throttles = 0;
    let retaken = 0;
    let sinkErrors = 0;
    const fail = (slot: Slot, error: Error) => {
      slot.state = "failed";
      slot.error = error;
      if (error instanceof ThrottledError) throttles++;
    };
    const done = (slot: Slot, outcome: Outcome) => {
      slot.state = "done";
      slot.outcome = outcome;
    };

    /**
     * The sink refused the batch as bad input: find which records it refuses by writing them one at a
     * time (rare path), so only those are dead-lettered and the rest of the stream keeps flowing.
     */
    const isolateRejected = async (batch: readonly Slot[], batchError: PermanentError) => {
      if (batch.length === 1) {
        const slot = batch[0] as Slot;
        slot.poison = { error: batchError, eventType: (slot.valid as SinkRecord).event.type };
        return;
      }
      for (const slot of batch) {
        try {
          await sink.write([slot.valid as SinkRecord]);
        } catch (error) {
          if (error instanceof PermanentError) {
            slot.poison = { error, eventType: (slot.valid as SinkRecord).event.type };
          } else {
            sinkErrors++;
            fail(slot, asSinkError(error));
          }
        }
      }
    };

    // Claim every distinct observation in one round trip (two when expired claims are retaken).
    const toClaim = slots.filter((s) => s.valid && !s.leader);
    if (toClaim.length > 0) {
      const outcomes = await idempotency.claim(
        toClaim.map((s) => ({
          observationId: (s.valid as SinkRecord).observationId,
          eventKey: (s.valid as SinkRecord).key,
        })),
        owner,
      );
      outcomes.forEach((outcome, i) => {
        const slot = toClaim[i] as Slot;
        if (outcome.status === "claimed") {
          slot.claim = outcome.claim;
          if (outcome.retaken) retaken++;
        } else if (outcome.status === "duplicate") done(slot, "duplicate");
        else fail(slot, outcome.error);
      });
    }
    holdBackFifo(slots);
    faults?.hit(FaultPoint.ProcessorAfterClaim, { records: slots.length });

    const deadLetter = async (poison: readonly Slot[]) => {
      if (poison.length === 0) return;
      const outcomes = await sendToDeadLetterQueue(sqs, {
        queueUrl: config.dlqUrl,
        letters: poison.map((s) => ({ record: s.record, ...(s.poison as NonNullable<Slot["poison"]>) })),
        now,
      });
      outcomes.forEach((outcome, i) => {
        const slot = poison[i] as Slot;
        // Not in the DLQ means not handled: SQS redelivers it (and its own redrive catches it at worst).
        if (outcome.ok) done(slot, "deadLettered");
        else fail(slot, outcome.error);
      });
    };
    await deadLetter(slots.filter((s) => s.poison && s.state === "pending"));
    holdBackFifo(slots);

    // One sink write for the whole batch; it is idempotent by observation, so a retry may repeat it.
    const toApply = slots.filter((s) => s.claim && s.state === "pending");
    if (toApply.length > 0) {
      try {
        await sink.write(toApply.map((s) => s.valid as SinkRecord));
      } catch (error) {
        if (error instanceof PermanentError) await isolateRejected(toApply, error);
        else {
          sinkErrors++;
          for (const slot of toApply) fail(slot, asSinkError(error));
        }
      }
    }
    holdBackFifo(slots);
    if (toApply.length > 0) faults?.hit(FaultPoint.ProcessorAfterSink, { records: slots.length });
    await deadLetter(slots.filter((s) => s.poison && s.claim && s.state === "pending"));
    holdBackFifo(slots);

    const steps = slots
      .filter((s) => s.claim && s.state === "pending")
      .map((slot) => ({ slot, update: lifecycleUpdateOf((slot.valid as SinkRecord).event) }))
      .filter((x): x is { slot: Slot; update: LifecycleUpdate } => x.update !== undefined);
    if (steps.length > 0) {
      try {
        await lifecycle.record(steps.map((x) => x.update));
      } catch (error) {
        const failure = toRetryableError(error, "lifecycle update");
        for (const { slot } of steps) fail(slot, failure);
      }
    }
    holdBackFifo(slots);

    const applied = slots.filter((s) => s.claim && s.state === "pending");
    if (applied.length > 0) {
      const outcomes = await idempotency.complete(applied.map((s) => s.claim as Claim));
      outcomes.forEach((outcome, i) => {
        const slot = applied[i] as Slot;
        // Applied is what matters for acknowledging: an unrecorded completion only means a later
        // duplicate will be re-applied (idempotently) once the claim expires.
        done(slot, "processed");
        if (outcome.status === "lost") {
          logger.info("claim was taken over before completion; the new owner completes it", {
            messageId: slot.record.messageId,
            observationId: slot.claim?.observationId,
            current: outcome.current,
          });
        } else if (outcome.status === "failed") {
          if (outcome.error instanceof ThrottledError) throttles++;
          logger.warn("record applied but its completion was not recorded", {
            messageId: slot.record.messageId,
            observationId: slot.claim?.observationId,
            error: outcome.error,
          });
        }
      });
    }

    if (applied.length > 0) faults?.hit(FaultPoint.ProcessorAfterComplete, { records: slots.length });

    for (const slot of slots) {
      if (slot.state !== "pending") continue;
      if (slot.leader?.state === "done") {
        done(slot, "duplicate");
      } else {
        // Invariant: every path above settles its records; anything left is never acknowledged.
        const context = { messageId: slot.record.messageId };
        fail(slot, new RetryableError("record was not settled", { context }));
      }
    }

    // Give back the claims of failed records, so their retry need not wait out the lease, and of
    // dead-lettered ones, so a redrive after the fix is applied instead of dropped as a duplicate.
    const toRelease = slots
      .filter((s) => s.claim && (s.state === "failed" || s.outcome === "deadLettered"))
      .map((s) => s.claim as Claim);
    if (toRelease.length > 0) {
      const released = await idempotency.release(toRelease);
      if (released < toRelease.length) {
        logger.info("some claims were not released and will expire instead", {
          released,
          claims: toRelease.length,
        });
      }
    }

    return report(slots, { throttles, retaken, sinkErrors });
  }

  function toSlot(record: SQSRecord): Slot {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const result = validateRecord(record);
    if (!result.ok) {
      const poison =
        result.eventType === undefined
          ? { error: result.error }
          : { error: result.error, eventType: result.eventType };
      return { record, group, poison, state: "pending" };
    }
    if (!result.dedupIdMatches) {
      logger.warn("MessageDeduplicationId differs from the observation id (a redrive assigns new ids)", {
        messageId: record.messageId,
        messageDeduplicationId: record.attributes.MessageDeduplicationId,
        observationId: result.observationId,
      });
    }
    return {
      record,
      group,
      valid: { event: result.event, key: result.key, observationId: result.observationId },
      state: "pending",
    };
  }

  function report(
    slots: readonly Slot[],
    counts: { throttles: number; retaken: number; sinkErrors: number },
  ): SQSBatchResponse {
    const count = (outcome: Outcome) =>
      slots.filter((s) => s.state === "done" && s.outcome === outcome).length;
    const failed = slots.filter((s) => s.state === "failed");
    for (const slot of failed) {
      if (slot.blockedBy === undefined) {
        logger.warn("record will be retried", {
          messageId: slot.record.messageId,
          group: slot.group,
          errorType: slot.error?.name,
          error: slot.error,
        });
      } else {
        const { messageId } = slot.record;
        logger.debug("record held back behind a failure of its group", {
          messageId,
          blockedBy: slot.blockedBy,
        });
      }
    }
    for (const slot of slots) {
      if (slot.outcome === "deadLettered") {
        logger.error("record dead-lettered", {
          messageId: slot.record.messageId,
          errorType: slot.poison?.error.name,
          reason: slot.poison?.error.message,
        });
      }
    }
    const processed = count("processed");
    const summary = {
      records: slots.length,
      processed,
      duplicates: count("duplicate"),
      deadLettered: count("deadLettered"),
      retried: failed.length,
      ...counts,
    };
    metrics.addMetric(ProcessorMetric.RecordsProcessed, MetricUnit.Count, summary.processed);
    metrics.addMetric(ProcessorMetric.DuplicatesDropped, MetricUnit.Count, summary.duplicates);
    metrics.addMetric(ProcessorMetric.RecordsDeadLettered, MetricUnit.Count, summary.deadLettered);
    metrics.addMetric(ProcessorMetric.RecordsRetried, MetricUnit.Count, summary.retried);
    metrics.addMetric(ProcessorMetric.ExpiredClaimsRetaken, MetricUnit.Count, counts.retaken);
    metrics.addMetric(ProcessorMetric.SinkErrors, MetricUnit.Count, counts.sinkErrors);
    metrics.addMetric(ProcessorMetric.Throttles, MetricUnit.Count, counts.throttles);
    const at = now();
    for (const slot of slots) {
      if (slot.outcome !== "processed" || !slot.valid) continue;
      const seconds = blockTimestamp(slot.valid.event);
      if (seconds === undefined) continue;
      metrics.addMetric(
        ProcessorMetric.FreshnessMs,
        MetricUnit.Milliseconds,
        Math.max(0, at - seconds * 1000),
      );
    }
    logger.info("batch processed", summary);
    return { batchItemFailures: failed.map((s) => ({ itemIdentifier: s.record.messageId })) };
  }

  /** A claim that can expire while its invocation still runs would let a second worker in. */
  function checkLease(context: ProcessorContext): void {
    if (leaseChecked || context.getRemainingTimeInMillis === undefined) return;
    leaseChecked = true;
    const remaining = context.getRemainingTimeInMillis();
    if (remaining > config.claimTimeoutSeconds * 1000) {
      logger.warn(
        "CLAIM_TIMEOUT_SECONDS is shorter than the function timeout: a slow invocation can lose its claims",
        {
          claimTimeoutSeconds: config.claimTimeoutSeconds,
          remainingMs: remaining,
        },
      );
    }
  }

  return { process };
}

/**
 * Apply the FIFO rule after each stage: in batch order, the first failed record of a group holds back
 * every later record of that group, and a record shares the fate of an earlier copy of its observation.
 * (A leader always precedes its followers, so one pass in batch order sees final states.)
 */
function holdBackFifo(slots: readonly Slot[]): void {
  const heads = new Map<string, Slot>();
  for (const slot of slots) {
    const head = heads.get(slot.group);
    if (slot.state !== "failed") {
      const cause = head ?? (slot.leader?.state === "failed" ? slot.leader : undefined);
      if (cause) {
        slot.state = "failed";
        slot.error = cause.error;
        slot.blockedBy = cause.record.messageId;
      }
    }
    if (slot.state === "failed" && head === undefined) heads.set(slot.group, slot);
  }
}

function asSinkError(error: unknown): SinkUnavailableError {
  if (error instanceof SinkUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkUnavailableError(`sink write failed: ${message}`, { cause: error });
}

function blockTimestamp(event: PipelineEvent): number | undefined {
  if ("l1" in event) return event.l1.timestamp;
  // Freshness is a chain metric: API events have no block (their latency is the ingest API's metric).
  return event.type === "reorg" || event.type === "api_event" ? undefined : event.timestamp;
}
