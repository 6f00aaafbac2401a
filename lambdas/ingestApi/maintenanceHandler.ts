import { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createMetrics } from "../shared/createMetrics.js";
import { fetchSecretString } from "../shared/fetchSecretString.js";
import { IngestApiMetric } from "../shared/metricNames.js";
import { ServiceName } from "../shared/serviceNames.js";
import { traced, withTracing } from "../shared/tracing.js";
import { type IngestMaintenanceReport, runIngestMaintenance } from "./ingestMaintenance.js";
import { createLambdaIngest, type LambdaIngestClients, loadAnchorTarget } from "./lambdaIngest.js";

export interface IngestMaintenanceHandlerDependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients: Omit<LambdaIngestClients, "metrics" | "s3">;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The gauges the alarms read: the largest anchoring lag without a dimension, and per stream. */
export function emitMaintenanceMetrics(metrics: Metrics, report: IngestMaintenanceReport): void {
  metrics.addMetric(IngestApiMetric.OutboxSwept, MetricUnit.Count, report.outbox.sent);
  metrics.addMetric(IngestApiMetric.OutboxUnsent, MetricUnit.Count, report.outbox.unsent);
  const lag = Math.max(0, ...report.streams.map((s) => s.anchoringLagSeconds));
  metrics.addMetric(IngestApiMetric.AnchoringLagSeconds, MetricUnit.Seconds, lag);
  const resent = report.streams.reduce((n, s) => n + (s.anchorActions.resent ?? 0), 0);
  metrics.addMetric(IngestApiMetric.AnchorsResent, MetricUnit.Count, resent);
  for (const s of report.streams) {
    const single = metrics.singleMetric();
    single.addDimension("stream", s.stream);
    single.addMetric(IngestApiMetric.StreamHead, MetricUnit.Count, s.head);
    const lagOf = metrics.singleMetric();
    lagOf.addDimension("stream", s.stream);
    lagOf.addMetric(IngestApiMetric.AnchoringLagSeconds, MetricUnit.Seconds, s.anchoringLagSeconds);
  }
}

/**
 * The ingest API's schedule (every minute on AWS): sweep the outbox, commit what is due, anchor on the
 * configured L2 (ingestMaintenance.ts, the same round the local pipeline runs each second). Settings
 * and the anchor wallet are read on the first run and kept; errors fail the invocation (the schedule's
 * retries and the function's error alarm see them).
 */
export function createIngestMaintenanceHandler(d: IngestMaintenanceHandlerDependencies) {
  let loading: Promise<Parameters<typeof runIngestMaintenance>[0]> | undefined;
  const load = async () => {
    const clients = { ...d.clients, metrics: d.metrics };
    const { deps, settings } = await createLambdaIngest(d.env, clients);
    const anchor = await loadAnchorTarget(d.env, clients);
    if (!anchor) d.logger.warn("anchoring not configured: commitments are signed and stored, not anchored");
    return { deps, settings, anchor, now: d.now };
  };
  return async (): Promise<IngestMaintenanceReport> => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    try {
      const report = await runIngestMaintenance(await loading);
      emitMaintenanceMetrics(d.metrics, report);
      d.logger.info("ingest maintenance done", { outbox: report.outbox, streams: report.streams });
      return report;
    } finally {
      d.metrics.publishStoredMetrics();
    }
  };
}

export const handler = withTracing(
  createIngestMaintenanceHandler({
    env: process.env,
    clients: {
      ddb: traced(new DynamoDBClient({})),
      sqs: traced(new SQSClient({})),
      fetchSecret: fetchSecretString,
    },
    metrics: createMetrics(ServiceName.ingestMaintenance),
    logger: new Logger({ serviceName: ServiceName.ingestMaintenance }),
  }),
);
