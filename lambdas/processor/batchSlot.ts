import type { SQSRecord } from "aws-lambda";
import type { PermanentError } from "../shared/errors.js";
import type { SinkRecord } from "../sink/Sink.js";
import type { Claim } from "./idempotencyStore.js";

/** Why a record ended acknowledged. */
export type Outcome = "processed" | "duplicate" | "deadLettered";

/** Why a record can never succeed: found by validation, or by the sink rejecting its rows. */
export interface Poison {
  readonly error: PermanentError;
  /** The event type the body claims, when it could be read. */
  readonly eventType?: string;
}

/**
 * Where a record of the batch stands. The stages move unsettled slots (pending, claimed, poisoned) on
 * to done or failed; only the FIFO rule turns a settled slot into a failed one.
 */
export type SlotState =
  /** Valid and not claimed yet, or a follower waiting on its leader's fate. */
  | { readonly kind: "pending" }
  /** This invocation holds the observation's claim; its rows are not applied yet. */
  | { readonly kind: "claimed"; readonly claim: Claim }
  /** Bound for the DLQ; a claim is held when the sink (not validation) rejected it. */
  | { readonly kind: "poisoned"; readonly poison: Poison; readonly claim?: Claim }
  /** Acknowledged. */
  | { readonly kind: "done"; readonly outcome: "processed" | "duplicate"; readonly claim?: Claim }
  /** Acknowledged: it is in the DLQ with its reason. */
  | {
      readonly kind: "done";
      readonly outcome: "deadLettered";
      readonly poison: Poison;
      readonly claim?: Claim;
    }
  /**
   * Reported to SQS for redelivery. `blockedBy` names the earlier failure of its group it was held
   * back behind (never a dead-lettered record: fifoRule.ts leaves those acknowledged).
   */
  | {
      readonly kind: "failed";
      readonly error: Error;
      readonly claim?: Claim;
      readonly blockedBy?: string;
    };

interface SlotBase {
  readonly record: SQSRecord;
  /** FIFO order holds within a message group only; a standard queue's records are independent. */
  readonly group: string;
  state: SlotState;
}

/** A record whose body is a valid event. */
export interface ValidSlot extends SlotBase {
  readonly valid: SinkRecord;
  /** An earlier record of this batch with the same observation (e.g. a redriven copy): shares its fate. */
  readonly leader?: ValidSlot;
}

/** A record that failed validation: it starts poisoned. */
export interface InvalidSlot extends SlotBase {
  readonly valid?: undefined;
  readonly leader?: undefined;
}

export type Slot = ValidSlot | InvalidSlot;

export type ClaimedSlot = ValidSlot & { state: Extract<SlotState, { kind: "claimed" }> };
export type PoisonedSlot = Slot & { state: Extract<SlotState, { kind: "poisoned" }> };

export const isClaimed = (slot: Slot): slot is ClaimedSlot =>
  slot.state.kind === "claimed" && slot.valid !== undefined;

export const isPoisoned = (slot: Slot): slot is PoisonedSlot => slot.state.kind === "poisoned";

export const isUnsettled = (slot: Slot): boolean =>
  slot.state.kind === "pending" || slot.state.kind === "claimed" || slot.state.kind === "poisoned";

/** The claim a slot holds in any state, to give back or complete. */
export const claimOf = (slot: Slot): Claim | undefined =>
  slot.state.kind === "pending" ? undefined : slot.state.claim;

/** The reason the slot reached the DLQ with, when it did. */
export function deadLetteredWith(slot: Slot): Poison | undefined {
  return slot.state.kind === "done" && slot.state.outcome === "deadLettered" ? slot.state.poison : undefined;
}

/** Counters the report publishes besides the outcomes. */
export interface BatchCounters {
  /** Records held back by a throttled call (and unrecorded completions). */
  throttles: number;
  retaken: number;
  sinkErrors: number;
}

/** Settle `slot` as acknowledged, keeping its claim (completed or, once dead-lettered, given back). */
export function settle(slot: Slot, outcome: "processed" | "duplicate"): void {
  slot.state = { kind: "done", outcome, ...withClaim(claimOf(slot)) };
}

/** Settle a poisoned slot as acknowledged: the DLQ accepted it. */
export function settleDeadLettered(slot: PoisonedSlot): void {
  const { poison, claim } = slot.state;
  const settled: Slot = slot; // its state moves on: no longer a poisoned slot
  settled.state = { kind: "done", outcome: "deadLettered", poison, ...withClaim(claim) };
}

/** Settle `slot` as failed by `error` of its own (not held back behind another record). */
export function fail(slot: Slot, error: Error, counters: BatchCounters, isThrottle: boolean): void {
  slot.state = { kind: "failed", error, ...withClaim(claimOf(slot)) };
  if (isThrottle) counters.throttles++;
}

export const withClaim = (claim: Claim | undefined): { readonly claim?: Claim } =>
  claim === undefined ? {} : { claim };
