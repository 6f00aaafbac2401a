/**
 * The inputs of monthlyCost other than the bench: each network's rates, the stack's settings, and what
 * the synthesized template and the metric catalog say CloudWatch bills for.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ChainMetric,
  ChainMetricRetracted,
  IngestorMetric,
  ProcessorMetric,
} from "../../../lambdas/shared/metricNames.js";
import type { ChainRates, MonitoringInventory, StackSettings } from "./monthlyCost.js";

export const COST_NETWORKS = ["mainnet", "hoodi"] as const;
export type CostNetwork = (typeof COST_NETWORKS)[number];

/**
 * L1: Ethereum's 12 s slot (mainnet and Hoodi). L2: Taiko's 2 s preconfirmation block target
 * (https://docs.taiko.xyz/protocol/preconfirmations: "500 milliseconds to 2 seconds"; Taiko's own
 * skill docs say "2-second block times"). Inbox logs per L1 block: assumed 1 (a proposal per L1 block at
 * most, with proofs and verifications batched); the bench's synthetic chain has 0.1. Both overridable.
 */
const TAIKO_RATES = {
  l1BlockSeconds: 12,
  l2BlockSeconds: 2,
  inboxEventsPerL1Block: 1,
  source:
    "L1 12 s slots; L2 2 s preconf target per docs.taiko.xyz/protocol/preconfirmations; inbox logs assumed",
};

export const CHAIN_RATES: Readonly<Record<CostNetwork, ChainRates>> = {
  mainnet: { network: "mainnet", ...TAIKO_RATES },
  hoodi: { network: "hoodi", ...TAIKO_RATES },
};

/**
 * The stack's defaults (lib/Tidemark.ts TIDEMARK_DEFAULTS: scheduleRate 1 min, ingestorTimeout 50 s;
 * both functions memorySize 1024 on ARM_64 in PipelineFunction; the ingestor's TIME_RESERVE_MS default
 * 5 s in lambdas/ingestor/config.ts). test/scripts/ops/cost/monthlyCost.test.ts checks them against lib/.
 */
export const STACK_SETTINGS: StackSettings = {
  scheduleSeconds: 60,
  ingestorBusySeconds: 50 - 5,
  ingestorMemoryMb: 1024,
  processorMemoryMb: 1024,
  architecture: "arm64",
};

/** Custom metric names of the pipeline's functions (lambdas/shared/metricNames.ts). */
export const PIPELINE_METRIC_NAMES: readonly string[] = [
  ...new Set(
    [IngestorMetric, ProcessorMetric, ChainMetric, ChainMetricRetracted].flatMap((m) => Object.values(m)),
  ),
];

/**
 * Alarms and dashboards of the stage's stacks in a `cdk synth` output directory
 * (Tidemark-<stage>-*.template.json); without one, only the metric count.
 */
export async function monitoringInventory(cdkOut: string, stage: string): Promise<MonitoringInventory> {
  const customMetrics = PIPELINE_METRIC_NAMES.length;
  let files: string[];
  try {
    files = (await readdir(cdkOut)).filter(
      (f) => f.startsWith(`Tidemark-${stage}-`) && f.endsWith(".template.json"),
    );
  } catch {
    return { customMetrics };
  }
  if (files.length === 0) return { customMetrics };
  let alarms = 0;
  let dashboards = 0;
  for (const file of files) {
    const template = JSON.parse(await readFile(join(cdkOut, file), "utf8")) as {
      Resources?: Record<string, { Type?: string }>;
    };
    for (const r of Object.values(template.Resources ?? {})) {
      if (r.Type === "AWS::CloudWatch::Alarm") alarms++;
      if (r.Type === "AWS::CloudWatch::Dashboard") dashboards++;
    }
  }
  return { alarms, dashboards, customMetrics };
}
