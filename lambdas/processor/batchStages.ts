import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { PermanentError, RetryableError, SinkUnavailableError, ThrottledError } from "../shared/errors.js";
import type { Sink } from "../sink/Sink.js";
import {
  type BatchCounters,
  type ClaimedSlot,
  claimOf,
  deadLetteredWith,
  fail,
  isClaimed,
  isPoisoned,
  isUnsettled,
  type Slot,
  settle,
  settleDeadLettered,
  type ValidSlot,
} from "./batchSlot.js";
import type { Claim, IdempotencyStore } from "./idempotencyStore.js";
import { type LifecycleStore, type LifecycleUpdate, lifecycleUpdateOf } from "./lifecycleStore.js";
import type { ProcessorLogger } from "./processBatch.js";
import { sendToDeadLetterQueue } from "./sendToDeadLetterQueue.js";
import { toRetryableError } from "./toRetryableError.js";
import { validateRecord } from "./validateRecord.js";

/** What the stages share within one batch. */
export interface StageContext {
  readonly sqs: SQSClient;
  readonly sink: Sink;
  readonly idempotency: IdempotencyStore;
  readonly lifecycle: LifecycleStore;
  readonly dlqUrl: string;
  readonly logger: ProcessorLogger;
  readonly now: () => number;
  readonly owner: string;
  readonly counters: BatchCounters;
}

const failWith = (slot: Slot, error: Error, ctx: StageContext) =>
  fail(slot, error, ctx.counters, error instanceof ThrottledError);

/**
 * Stage 1, validate: one slot per record, poisoned when its body is not a valid event. A valid record
 * whose observation an earlier record of the batch carries follows that leader (one statement per
 * item: BatchExecuteStatement rejects a batch that names an item twice).
 */
export function validateStage(records: readonly SQSRecord[], logger: ProcessorLogger): Slot[] {
  const leaders = new Map<string, ValidSlot>();
  return records.map((record): Slot => {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const result = validateRecord(record);
    if (!result.ok) {
      const poison =
        result.eventType === undefined
          ? { error: result.error }
          : { error: result.error, eventType: result.eventType };
      return { record, group, state: { kind: "poisoned", poison } };
    }
    if (!result.dedupIdMatches) {
      logger.warn("MessageDeduplicationId differs from the observation id (a redrive assigns new ids)", {
        messageId: record.messageId,
        messageDeduplicationId: record.attributes.MessageDeduplicationId,
        observationId: result.observationId,
      });
    }
    const valid = { event: result.event, key: result.key, observationId: result.observationId };
    const leader = leaders.get(valid.observationId);
    const slot: ValidSlot = {
      record,
      group,
      valid,
      state: { kind: "pending" },
      ...(leader ? { leader } : {}),
    };
    if (!leader) leaders.set(valid.observationId, slot);
    return slot;
  });
}

/** Stage 2, claim: every distinct observation in one round trip (two when expired claims are retaken). */
export async function claimStage(slots: readonly Slot[], ctx: StageContext): Promise<void> {
  const toClaim = slots.filter((s): s is ValidSlot => s.valid !== undefined && !s.leader);
  if (toClaim.length === 0) return;
  const outcomes = await ctx.idempotency.claim(
    toClaim.map((s) => ({ observationId: s.valid.observationId, eventKey: s.valid.key })),
    ctx.owner,
  );
  outcomes.forEach((outcome, i) => {
    const slot = toClaim[i];
    if (slot === undefined) return;
    if (outcome.status === "claimed") {
      slot.state = { kind: "claimed", claim: outcome.claim };
      if (outcome.retaken) ctx.counters.retaken++;
    } else if (outcome.status === "duplicate") settle(slot, "duplicate");
    else failWith(slot, outcome.error, ctx);
  });
}

/** Dead-letter the poisoned slots with their reason; one the DLQ did not accept is failed, never dropped. */
export async function deadLetterStage(slots: readonly Slot[], ctx: StageContext): Promise<void> {
  const poisoned = slots.filter(isPoisoned);
  if (poisoned.length === 0) return;
  const outcomes = await sendToDeadLetterQueue(ctx.sqs, {
    queueUrl: ctx.dlqUrl,
    letters: poisoned.map((s) => ({ record: s.record, ...s.state.poison })),
    now: ctx.now,
  });
  outcomes.forEach((outcome, i) => {
    const slot = poisoned[i];
    if (slot === undefined) return;
    // Not in the DLQ means not handled: SQS redelivers it (and its own redrive catches it at worst).
    if (outcome.ok) settleDeadLettered(slot);
    else failWith(slot, outcome.error, ctx);
  });
}

/**
 * Stage 3a, apply to the sink: one write for the whole batch; it is idempotent by observation, so a
 * retry may repeat it. Returns the slots it wrote (or tried to).
 */
export async function sinkStage(slots: readonly Slot[], ctx: StageContext): Promise<readonly ClaimedSlot[]> {
  const toApply = slots.filter(isClaimed);
  if (toApply.length === 0) return toApply;
  try {
    await ctx.sink.write(toApply.map((s) => s.valid));
  } catch (error) {
    if (error instanceof PermanentError) await isolateRejected(toApply, error, ctx);
    else {
      ctx.counters.sinkErrors++;
      for (const slot of toApply) failWith(slot, asSinkError(error), ctx);
    }
  }
  return toApply;
}

/**
 * The sink refused the batch as bad input: find which records it refuses by writing them one at a time
 * (rare path), so only those are dead-lettered and the rest of the stream keeps flowing.
 */
async function isolateRejected(
  batch: readonly ClaimedSlot[],
  batchError: PermanentError,
  ctx: StageContext,
): Promise<void> {
  const poison = (slot: ClaimedSlot, error: PermanentError) => {
    const { claim } = slot.state;
    const rejected: Slot = slot; // its state moves on: no longer a claimed slot
    rejected.state = { kind: "poisoned", poison: { error, eventType: slot.valid.event.type }, claim };
  };
  const [only] = batch;
  if (batch.length === 1 && only) return poison(only, batchError);
  for (const slot of batch) {
    try {
      await ctx.sink.write([slot.valid]);
    } catch (error) {
      if (error instanceof PermanentError) poison(slot, error);
      else {
        ctx.counters.sinkErrors++;
        failWith(slot, asSinkError(error), ctx);
      }
    }
  }
}

/**
 * Stage 3b, apply the lifecycle: the claimed records' batch lifecycle steps, then their reorgs' marks
 * (which recompute the batches observed in those blocks; the two commute, so their order is free).
 */
export async function lifecycleStage(slots: readonly Slot[], ctx: StageContext): Promise<void> {
  const claimed = slots.filter(isClaimed);
  const steps = claimed
    .map((slot) => ({ slot, update: lifecycleUpdateOf(slot.valid.event) }))
    .filter((x): x is { slot: ClaimedSlot; update: LifecycleUpdate } => x.update !== undefined);
  const reorgs = claimed.flatMap((slot) =>
    slot.valid.event.type === "reorg" ? [{ slot, event: slot.valid.event }] : [],
  );
  if (steps.length === 0 && reorgs.length === 0) return;
  try {
    if (steps.length > 0) await ctx.lifecycle.record(steps.map((x) => x.update));
    if (reorgs.length > 0) await ctx.lifecycle.reorg(reorgs.map((x) => x.event));
  } catch (error) {
    const failure = toRetryableError(error, "lifecycle update");
    for (const { slot } of [...steps, ...reorgs]) failWith(slot, failure, ctx);
  }
}

/** Stage 4, complete: mark every applied record's observation complete. Returns how many were applied. */
export async function completeStage(slots: readonly Slot[], ctx: StageContext): Promise<number> {
  const applied = slots.filter(isClaimed);
  if (applied.length === 0) return 0;
  const outcomes = await ctx.idempotency.complete(applied.map((s) => s.state.claim));
  outcomes.forEach((outcome, i) => {
    const slot = applied[i];
    if (slot === undefined) return;
    const { observationId } = slot.state.claim;
    // Applied is what matters for acknowledging: an unrecorded completion only means a later
    // duplicate will be re-applied (idempotently) once the claim expires.
    settle(slot, "processed");
    if (outcome.status === "lost") {
      ctx.logger.info("claim was taken over before completion; the new owner completes it", {
        messageId: slot.record.messageId,
        observationId,
        current: outcome.current,
      });
    } else if (outcome.status === "failed") {
      if (outcome.error instanceof ThrottledError) ctx.counters.throttles++;
      ctx.logger.warn("record applied but its completion was not recorded", {
        messageId: slot.record.messageId,
        observationId,
        error: outcome.error,
      });
    }
  });
  return applied.length;
}

/** Followers take their leader's acknowledgement; anything else still unsettled is never acknowledged. */
export function settleLeftovers(slots: readonly Slot[], ctx: StageContext): void {
  for (const slot of slots) {
    if (!isUnsettled(slot)) continue;
    if (slot.leader?.state.kind === "done") settle(slot, "duplicate");
    else {
      // Invariant: every stage settles its records; anything left is never acknowledged.
      const context = { messageId: slot.record.messageId };
      failWith(slot, new RetryableError("record was not settled", { context }), ctx);
    }
  }
}

/**
 * Give back the claims of failed records, so their retry need not wait out the lease, and of
 * dead-lettered ones, so a redrive after the fix is applied instead of dropped as a duplicate.
 */
export async function releaseStage(slots: readonly Slot[], ctx: StageContext): Promise<void> {
  const toRelease = slots
    .filter((s) => s.state.kind === "failed" || deadLetteredWith(s) !== undefined)
    .flatMap((s): Claim[] => {
      const claim = claimOf(s);
      return claim ? [claim] : [];
    });
  if (toRelease.length === 0) return;
  const released = await ctx.idempotency.release(toRelease);
  if (released < toRelease.length) {
    ctx.logger.info("some claims were not released and will expire instead", {
      released,
      claims: toRelease.length,
    });
  }
}

function asSinkError(error: unknown): SinkUnavailableError {
  if (error instanceof SinkUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkUnavailableError(`sink write failed: ${message}`, { cause: error });
}
