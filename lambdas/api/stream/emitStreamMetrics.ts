import type { Metrics } from "@aws-lambda-powertools/metrics";
import { StreamMetric } from "../../shared/metricNames.js";
import type { StreamStats } from "./streamStats.js";
import { percentile } from "./streamStats.js";

export interface StreamMetricsEmitter {
  /** Emits the window now (also called by the timer). */
  flush(): void;
  stop(): void;
}

/**
 * Emits the stream's counters as EMF every `everyMs`: connections (and their share of the limit),
 * messages sent and clients dropped since the last window, delivery lag p99 and max of the window.
 * Deltas, not totals, so CloudWatch's Sum over a period is what happened in it.
 */
export function emitStreamMetrics(p: {
  readonly stats: StreamStats;
  readonly metrics: Pick<Metrics, "addMetric" | "publishStoredMetrics">;
  readonly maxConnections: number;
  /** @default 60 000 */
  readonly everyMs?: number;
}): StreamMetricsEmitter {
  const { stats, metrics } = p;
  let sent = stats.messagesSent;
  let dropped = stats.clientsDropped;
  const flush = () => {
    metrics.addMetric(StreamMetric.StreamConnections, "Count", stats.connections);
    metrics.addMetric(
      StreamMetric.StreamConnectionsPercentOfLimit,
      "Percent",
      (100 * stats.connections) / p.maxConnections,
    );
    metrics.addMetric(StreamMetric.StreamMessagesSent, "Count", stats.messagesSent - sent);
    metrics.addMetric(StreamMetric.StreamClientsDropped, "Count", stats.clientsDropped - dropped);
    sent = stats.messagesSent;
    dropped = stats.clientsDropped;
    const lags = stats.takeLags();
    const p99 = percentile(lags, 0.99);
    if (p99 !== null) {
      metrics.addMetric(StreamMetric.StreamDeliveryLagP99Ms, "Milliseconds", p99);
      metrics.addMetric(StreamMetric.StreamDeliveryLagMaxMs, "Milliseconds", Math.max(...lags));
    }
    metrics.publishStoredMetrics();
  };
  const timer = setInterval(flush, p.everyMs ?? 60_000);
  timer.unref();
  return { flush, stop: () => clearInterval(timer) };
}
