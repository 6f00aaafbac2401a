import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { createMetrics } from "../shared/createMetrics.js";
import type { Chain } from "../shared/events.js";
import type { IngestorMetric } from "../shared/metricNames.js";
import { ServiceName } from "../shared/serviceNames.js";

export type IngestorMetricName = (typeof IngestorMetric)[keyof typeof IngestorMetric];

/** The logging the domain code needs; Powertools' Logger satisfies it. */
export type IngestorLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;

/** The metrics the domain code emits; a chain adds the `chain` dimension. */
export interface MetricsSink {
  record(name: IngestorMetricName, value: number, chain?: Chain): void;
}

export interface PowertoolsMetricsSink extends MetricsSink {
  /** Publish the per-chain buffers (the root instance is published by its middy middleware). */
  flush(): void;
}

/**
 * Metrics through Powertools (EMF). Per-chain metrics go to one Metrics instance per
 * chain with a `chain` default dimension, so repeated values aggregate into one EMF
 * record per flush instead of one log line per poll.
 */
export function createPowertoolsMetricsSink(
  root: Metrics,
  serviceName: string = ServiceName.ingestor,
): PowertoolsMetricsSink {
  const perChain = new Map<Chain, Metrics>();
  const forChain = (chain: Chain) => {
    let metrics = perChain.get(chain);
    if (!metrics) {
      metrics = createMetrics(serviceName, { defaultDimensions: { chain } });
      perChain.set(chain, metrics);
    }
    return metrics;
  };
  return {
    record(name, value, chain) {
      (chain ? forChain(chain) : root).addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      for (const metrics of perChain.values()) {
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      }
    },
  };
}
