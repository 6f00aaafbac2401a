import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ChainMetricRetracted, type ItemChainMetric } from "../shared/metricNames.js";
import { CHAIN_METRIC_UNIT, type ChainSample } from "./lifecycleMetrics.js";

/** The item attribute recording what the item's chain metrics stand at in CloudWatch: name → value. */
export const METRICS_EMITTED_ATTRIBUTE = "metricsEmitted";

/** A data point to add: a chain metric, or a retraction under the metric's ChainMetricRetracted name. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: ChainSample["unit"];
  readonly value: number;
}

export interface LedgerChange {
  /** Retractions first, then the new values: the order to add them in. */
  readonly points: readonly MetricPoint[];
  /** The ledger to write with the derived state (in the same conditional write). */
  readonly ledger: AttributeValue;
}

/**
 * What an item's chain metrics must add so that, net of retractions, CloudWatch holds exactly `want` (the
 * samples its canonical state gives): a value that changed is retracted and emitted anew, a value whose
 * pair no longer exists is retracted, a new one emitted; an unchanged one adds nothing, so replays add
 * nothing. `emittedBefore` stands in for the ledger of an item written before it was kept: what its state
 * showed then, which the old code had emitted once when each pair completed.
 */
export function ledgerChange(
  item: Record<string, AttributeValue>,
  want: readonly ChainSample[],
  emittedBefore: () => readonly ChainSample[],
): LedgerChange {
  const stored = item[METRICS_EMITTED_ATTRIBUTE]?.M;
  const emitted = new Map<string, number>(
    stored === undefined
      ? emittedBefore().map((s) => [s.name, s.value])
      : Object.entries(stored).map(([name, v]) => [name, Number(v.N)]),
  );
  const wanted = new Map<string, number>(want.map((s) => [s.name, s.value]));
  const retractions: MetricPoint[] = [];
  const values: MetricPoint[] = [];
  for (const name of new Set([...emitted.keys(), ...wanted.keys()])) {
    const was = emitted.get(name);
    const now = wanted.get(name);
    if (was === now || !(name in CHAIN_METRIC_UNIT)) continue;
    const metric = name as ItemChainMetric;
    const unit = CHAIN_METRIC_UNIT[metric];
    if (was !== undefined) retractions.push({ name: ChainMetricRetracted[metric], unit, value: was });
    if (now !== undefined) values.push({ name: metric, unit, value: now });
  }
  const ledger: Record<string, AttributeValue> = {};
  for (const [name, value] of wanted) ledger[name] = { N: String(value) };
  return { points: [...retractions, ...values], ledger: { M: ledger } };
}
