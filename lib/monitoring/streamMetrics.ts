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
export const streamMetrics = (stage?: string) => {
  const metric = (service: string, metricName: string, statistic: string, dimensions = {}) =>
    customMetric({ service, metricName, statistic, dimensions, stage });
  const m = {
    eventsLogged: () => metric(ServiceName.processor, StreamMetric.EventsLogged, "Sum"),
    l2BlocksIngested: () =>
      metric(ServiceName.ingestor, IngestorMetric.BlocksIngested, "Sum", { chain: "l2" }),
    connections: () => metric(ServiceName.apiStream, StreamMetric.StreamConnections, "Maximum"),
    connectionsPercentOfLimit: () =>
      metric(ServiceName.apiStream, StreamMetric.StreamConnectionsPercentOfLimit, "Maximum"),
    messagesSent: () => metric(ServiceName.apiStream, StreamMetric.StreamMessagesSent, "Sum"),
    clientsDropped: () => metric(ServiceName.apiStream, StreamMetric.StreamClientsDropped, "Sum"),
    deliveryLagP99: () => metric(ServiceName.apiStream, StreamMetric.StreamDeliveryLagP99Ms, "Maximum"),
    deliveryLagMax: () => metric(ServiceName.apiStream, StreamMetric.StreamDeliveryLagMaxMs, "Maximum"),
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
