import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { IngestorMetric, StreamMetric } from "../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { customMetric } from "./customMetric.js";

/**
 * The live stream's metrics (lambdas/shared/metricNames.ts, StreamMetric) of one stage (the functions'
 * `stage` dimension; none when undefined), kept apart from the alarms and widgets built on them: what
 * the processor appends to the event log, what the stream function delivers, and the L2 blocks
 * ingested (the "chain moves" side of the silence alarm).
 */
/** What one stream's deliverer of one stage emits (emitStreamMetrics): the SSE function, or the WebSocket fan-out. */
export const deliveryMetrics = (service: string, stage?: string) => {
  const metric = (metricName: string, statistic: string) =>
    customMetric({ service, metricName, statistic, dimensions: {}, stage });
  return {
    connections: () => metric(StreamMetric.StreamConnections, "Maximum"),
    connectionsPercentOfLimit: () => metric(StreamMetric.StreamConnectionsPercentOfLimit, "Maximum"),
    messagesSent: () => metric(StreamMetric.StreamMessagesSent, "Sum"),
    clientsDropped: () => metric(StreamMetric.StreamClientsDropped, "Sum"),
    deliveryLagP99: () => metric(StreamMetric.StreamDeliveryLagP99Ms, "Maximum"),
    deliveryLagMax: () => metric(StreamMetric.StreamDeliveryLagMaxMs, "Maximum"),
  };
};

export const streamMetrics = (stage?: string) => {
  const metric = (service: string, metricName: string, statistic: string, dimensions = {}) =>
    customMetric({ service, metricName, statistic, dimensions, stage });
  const m = {
    eventsLogged: () => metric(ServiceName.processor, StreamMetric.EventsLogged, "Sum"),
    l2BlocksIngested: () =>
      metric(ServiceName.ingestor, IngestorMetric.BlocksIngested, "Sum", { chain: "l2" }),
    ...deliveryMetrics(ServiceName.apiStream, stage),
    /** 1 in a minute when L2 blocks were ingested but nothing reached the event log, else 0. */
    silentWhileChainMoves: () =>
      new cloudwatch.MathExpression({
        expression: "IF(blocks > 0 AND FILL(logged, 0) <= 0, 1, 0)",
        usingMetrics: { blocks: m.l2BlocksIngested(), logged: m.eventsLogged() },
        label: "stream silent while L2 moves",
        period: Duration.minutes(1),
      }),
  };
  return m;
};
