import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { IngestorMetric, METRIC_NAMESPACE, StreamMetric } from "../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";

const MINUTE = Duration.minutes(1);

const metric = (service: string, metricName: string, statistic: string, dims: Record<string, string> = {}) =>
  new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { service, ...dims },
    statistic,
    period: MINUTE,
  });

/**
 * The live stream's metrics (lambdas/shared/metricNames.ts, StreamMetric), kept apart from the alarms
 * and widgets built on them: what the processor appends to the event log, what the stream function
 * delivers, and the L2 blocks ingested (the "chain moves" side of the silence alarm).
 */
/** What one stream's deliverer emits (emitStreamMetrics): the SSE function, or the WebSocket fan-out. */
export const deliveryMetrics = (service: string) => ({
  connections: () => metric(service, StreamMetric.StreamConnections, "Maximum"),
  connectionsPercentOfLimit: () => metric(service, StreamMetric.StreamConnectionsPercentOfLimit, "Maximum"),
  messagesSent: () => metric(service, StreamMetric.StreamMessagesSent, "Sum"),
  clientsDropped: () => metric(service, StreamMetric.StreamClientsDropped, "Sum"),
  deliveryLagP99: () => metric(service, StreamMetric.StreamDeliveryLagP99Ms, "Maximum"),
  deliveryLagMax: () => metric(service, StreamMetric.StreamDeliveryLagMaxMs, "Maximum"),
});

export const streamMetrics = {
  eventsLogged: () => metric(ServiceName.processor, StreamMetric.EventsLogged, "Sum"),
  l2BlocksIngested: () => metric(ServiceName.ingestor, IngestorMetric.BlocksIngested, "Sum", { chain: "l2" }),
  ...deliveryMetrics(ServiceName.apiStream),
  /** 1 in a minute when L2 blocks were ingested but nothing reached the event log, else 0. */
  silentWhileChainMoves: () =>
    new cloudwatch.MathExpression({
      expression: "IF(blocks > 0 AND FILL(logged, 0) <= 0, 1, 0)",
      usingMetrics: { blocks: streamMetrics.l2BlocksIngested(), logged: streamMetrics.eventsLogged() },
      label: "stream silent while L2 moves",
      period: MINUTE,
    }),
};
