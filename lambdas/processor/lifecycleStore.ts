import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PipelineEvent, ReorgEvent } from "../shared/events.js";
import { batchItemKey, UNPROVEN_INDEX } from "../shared/tables.js";
import {
  BATCH_LIFECYCLE_ATTRIBUTES,
  type BatchLifecycleAttribute,
  chainSamplesOf,
} from "./lifecycleMetrics.js";
import { BATCH_DERIVED, isUnproven, type StepObservation } from "./lifecycleObservations.js";
import { createObservedLifecycle, type LifecycleKind } from "./observedLifecycle.js";

/** The lifecycle steps of a rollup batch, each the L1 timestamp (epoch s) of the block it was seen in. */
export type LifecycleStep = "proposedAt" | "provedAt" | "verifiedAt";

export interface LifecycleUpdate {
  readonly batchId: number;
  readonly step: LifecycleStep;
  readonly at: number;
  /** The L1 block the step was observed in: a reorg that orphans it retracts the step. */
  readonly block: { readonly hash: string; readonly number: number };
  /** Proposals only: the batch's L2 blocks, for the L2 block interval. */
  readonly l2?: { readonly lastBlockTimestamp: number; readonly blockCount: number };
}

export interface LifecycleStore {
  /**
   * Record the steps, per batch item in parallel. Safe to repeat. Throws a RetryableError
   * (ThrottledError when throttled) if any write failed; the writes that succeeded have emitted their metrics.
   */
  record(updates: readonly LifecycleUpdate[]): Promise<void>;
  /** Apply the L1 marks of reorg events and recompute every batch with steps in those blocks. Safe to repeat. */
  reorg(events: readonly ReorgEvent[]): Promise<void>;
}

export interface CreateLifecycleStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  /** Receives the chain metrics each write completes (lifecycleMetrics.ts). @default none emitted */
  readonly metrics?: Pick<Metrics, "addMetric">;
}

/** The lifecycle step an event proves, or undefined for events that are not batch lifecycle steps. */
export function lifecycleUpdateOf(event: PipelineEvent): LifecycleUpdate | undefined {
  if (
    event.type !== "batch_proposed" &&
    event.type !== "batches_proved" &&
    event.type !== "batches_verified"
  ) {
    return undefined;
  }
  const base = {
    batchId: event.batchId,
    at: event.l1.timestamp,
    block: { hash: event.l1.blockHash, number: event.l1.blockNumber },
  };
  switch (event.type) {
    case "batch_proposed":
      return {
        ...base,
        step: "proposedAt",
        l2: { lastBlockTimestamp: event.lastBlockTimestamp, blockCount: event.blockCount },
      };
    case "batches_proved":
      return { ...base, step: "provedAt" };
    default:
      return { ...base, step: "verifiedAt" };
  }
}

/**
 * Lifecycle state in the state table, item `batch#<batchId>`, reorg-correct (observedLifecycle.ts): each
 * step (`proposedAt`, `provedAt`, `verifiedAt`, …) is its earliest observation in an L1 block that is
 * canonical now, so an orphaned proof puts the batch back into the unproven index and a restored one
 * takes it out again; the chain metrics (lifecycleMetrics.ts) net of their retractions are what the
 * canonical chain gives, once per batch.
 *
 * A proposal also observes `nextProposedAt` on the previous batch's item, so consecutive proposals meet on
 * one item and the posting interval is computed there once.
 */
export function createLifecycleStore(parameters: CreateLifecycleStoreParameters): LifecycleStore {
  const lifecycle = createObservedLifecycle(BATCH_KIND, parameters);

  async function record(updates: readonly LifecycleUpdate[]): Promise<void> {
    const byBatch = new Map<number, StepObservation[]>();
    const add = (batchId: number, o: StepObservation) =>
      byBatch.set(batchId, [...(byBatch.get(batchId) ?? []), o]);
    for (const u of updates) {
      const block = { blockHash: u.block.hash, blockNumber: u.block.number, timestamp: u.at };
      if (u.l2 === undefined) {
        add(u.batchId, { step: u.step, ...block });
        continue;
      }
      const l2 = { lastBlockTs: u.l2.lastBlockTimestamp, blockCount: u.l2.blockCount };
      add(u.batchId, { step: u.step, ...block, ...l2 });
      if (u.step === "proposedAt" && u.batchId > 0)
        add(u.batchId - 1, { step: "nextProposedAt", ...block, ...l2 });
    }
    await lifecycle.observe(byBatch);
  }

  return { record, reorg: lifecycle.reorg };
}

/** Pacaya batches as a lifecycle kind: waiting for a proof while proposed and neither proved nor verified. */
const BATCH_KIND: LifecycleKind<BatchLifecycleAttribute> = {
  what: "lifecycle",
  itemKey: batchItemKey,
  idAttribute: "batchId",
  blockIndexAttribute: "batchIds",
  derived: BATCH_DERIVED,
  attributes: BATCH_LIFECYCLE_ATTRIBUTES,
  pendingIn: (state) => (isUnproven(state) ? UNPROVEN_INDEX.value : undefined),
  samplesOf: chainSamplesOf,
};
