import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { ChainMetric } from "../shared/metricNames.js";

/**
 * The numeric attributes of one `batch#<id>` lifecycle item. Every one is written with
 * `if_not_exists`, so an attribute, once set, never changes.
 */
export interface BatchLifecycleState {
  /** L1 timestamps (epoch s) of the blocks the proposal, proof and verification were seen in. */
  readonly proposedAt?: number;
  readonly provedAt?: number;
  readonly verifiedAt?: number;
  /** From the proposal: timestamp of the batch's last L2 block and its number of blocks. */
  readonly lastBlockTs?: number;
  readonly blockCount?: number;
  /** Written by the proposal of the *next* batch (id + 1), so the pair meets on this item. */
  readonly nextProposedAt?: number;
  readonly nextLastBlockTs?: number;
  readonly nextBlockCount?: number;
}

export type BatchLifecycleAttribute = keyof BatchLifecycleState;

export const BATCH_LIFECYCLE_ATTRIBUTES: readonly BatchLifecycleAttribute[] = [
  "proposedAt",
  "provedAt",
  "verifiedAt",
  "lastBlockTs",
  "blockCount",
  "nextProposedAt",
  "nextLastBlockTs",
  "nextBlockCount",
];

export interface ChainSample {
  readonly name: (typeof ChainMetric)[keyof typeof ChainMetric];
  readonly unit: typeof MetricUnit.Count | typeof MetricUnit.Seconds;
  readonly value: number;
}

/**
 * The chain metrics one lifecycle write completes, from the item before it (DynamoDB's ALL_OLD) and
 * after it. A metric pairs two attributes and is emitted by the write that makes the pair complete:
 * DynamoDB applies writes to one item one at a time, so exactly one write sees the pair go from
 * incomplete to complete — whatever the order of partitions, and however often a step is repeated.
 */
export function chainSamplesOf(before: BatchLifecycleState, after: BatchLifecycleState): ChainSample[] {
  const samples: ChainSample[] = [];
  const completes = (a: BatchLifecycleAttribute, b: BatchLifecycleAttribute): boolean =>
    (before[a] === undefined || before[b] === undefined) && after[a] !== undefined && after[b] !== undefined;
  const seconds = (name: ChainSample["name"], value: number) => {
    // A negative span only comes from inconsistent input (e.g. a proof observed in an older L1 block): not a duration.
    if (Number.isFinite(value) && value >= 0) samples.push({ name, unit: MetricUnit.Seconds, value });
  };

  // Counted once per batch id, not per observation: an L1 reorg that re-includes a proposal is one batch.
  if (before.proposedAt === undefined && after.proposedAt !== undefined) {
    samples.push({ name: ChainMetric.BatchesProposed, unit: MetricUnit.Count, value: 1 });
  }
  const { proposedAt, provedAt, verifiedAt, nextProposedAt } = after;
  if (completes("proposedAt", "provedAt")) {
    seconds(ChainMetric.BatchProveTimeSeconds, (provedAt as number) - (proposedAt as number));
  }
  if (completes("proposedAt", "verifiedAt")) {
    seconds(ChainMetric.BatchVerifyTimeSeconds, (verifiedAt as number) - (proposedAt as number));
  }
  if (completes("proposedAt", "nextProposedAt")) {
    seconds(ChainMetric.BatchPostingIntervalSeconds, (nextProposedAt as number) - (proposedAt as number));
    const { lastBlockTs, nextLastBlockTs, nextBlockCount } = after;
    // The next batch's blocks follow this batch's last block: their mean spacing is the L2 block interval.
    if (lastBlockTs !== undefined && nextLastBlockTs !== undefined && nextBlockCount && nextBlockCount > 0) {
      seconds(ChainMetric.L2BlockIntervalSeconds, (nextLastBlockTs - lastBlockTs) / nextBlockCount);
    }
  }
  return samples;
}

/** The item after a write of `written` with `if_not_exists` on every attribute. */
export function afterWrite(before: BatchLifecycleState, written: BatchLifecycleState): BatchLifecycleState {
  const after: Partial<Record<BatchLifecycleAttribute, number>> = {};
  for (const key of BATCH_LIFECYCLE_ATTRIBUTES) {
    const value = before[key] ?? written[key];
    if (value !== undefined) after[key] = value;
  }
  return after;
}
