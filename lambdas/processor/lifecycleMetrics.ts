import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { ChainMetric, type ItemChainMetric } from "../shared/metricNames.js";

/**
 * The numeric attributes of one `batch#<id>` lifecycle item, derived from its observations in the L1
 * blocks that are canonical now (observedLifecycle.ts): a reorg can change or remove them.
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
  readonly name: ItemChainMetric;
  readonly unit: typeof MetricUnit.Count | typeof MetricUnit.Seconds;
  readonly value: number;
}

/** Each per-item chain metric's unit (its retraction, ChainMetricRetracted, has the same). */
export const CHAIN_METRIC_UNIT: Readonly<Record<ItemChainMetric, ChainSample["unit"]>> = {
  BatchesProposed: MetricUnit.Count,
  L2BlockIntervalSeconds: MetricUnit.Seconds,
  BatchPostingIntervalSeconds: MetricUnit.Seconds,
  BatchProveTimeSeconds: MetricUnit.Seconds,
  BatchVerifyTimeSeconds: MetricUnit.Seconds,
  ShastaProposalsProposed: MetricUnit.Count,
  ShastaTimeToFinalitySeconds: MetricUnit.Seconds,
};

export const chainSample = (name: ItemChainMetric, value: number): ChainSample => ({
  name,
  unit: CHAIN_METRIC_UNIT[name],
  value,
});

/**
 * A span in seconds between two steps, when both are known; a negative span only comes from inconsistent
 * input (e.g. a proof observed in an older L1 block) and is not a duration.
 */
export function spanSample(name: ItemChainMetric, from?: number, to?: number): ChainSample[] {
  if (from === undefined || to === undefined) return [];
  const value = to - from;
  return Number.isFinite(value) && value >= 0 ? [chainSample(name, value)] : [];
}

/**
 * The chain metrics a batch's lifecycle state gives, each at most once: what CloudWatch holds for this
 * batch, net of retractions (observedLifecycle.ts emits the difference when a recompute changes it).
 * A metric pairs two steps and exists once both are known.
 */
export function chainSamplesOf(state: BatchLifecycleState): ChainSample[] {
  const { proposedAt, provedAt, verifiedAt, nextProposedAt, lastBlockTs, nextLastBlockTs, nextBlockCount } =
    state;
  if (proposedAt === undefined) return [];
  // Counted once per batch id, not per observation: an L1 reorg that re-includes a proposal is one batch.
  const samples = [chainSample(ChainMetric.BatchesProposed, 1)];
  samples.push(...spanSample(ChainMetric.BatchProveTimeSeconds, proposedAt, provedAt));
  samples.push(...spanSample(ChainMetric.BatchVerifyTimeSeconds, proposedAt, verifiedAt));
  samples.push(...spanSample(ChainMetric.BatchPostingIntervalSeconds, proposedAt, nextProposedAt));
  // The next batch's blocks follow this batch's last block: their mean spacing is the L2 block interval.
  if (nextProposedAt !== undefined && lastBlockTs !== undefined && nextLastBlockTs !== undefined) {
    if (nextBlockCount !== undefined && nextBlockCount > 0) {
      const spacing = spanSample(ChainMetric.L2BlockIntervalSeconds, lastBlockTs, nextLastBlockTs);
      samples.push(...spacing.map((s) => ({ ...s, value: s.value / nextBlockCount })));
    }
  }
  return samples;
}
