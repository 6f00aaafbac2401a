import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { UNPROVEN_INDEX } from "../processor/lifecycleStore.js";
import { ChainMetric, METRIC_NAMESPACE } from "../shared/metricNames.js";
import type { ChainMetricsConfig } from "./config.js";
import { oldestUnprovenBatch } from "./oldestUnprovenBatch.js";

/** Powertools service name: the `service` dimension the batch-not-proven alarm reads. */
export const CHAIN_METRICS_SERVICE = "chainMetrics";

export interface ChainMetricsHandlerDependencies {
  readonly config: ChainMetricsConfig;
  readonly ddb: DynamoDBClient;
  /** @default a Powertools Logger, service "chainMetrics" */
  readonly logger?: Logger;
  /** @default Powertools Metrics, namespace "Tidemark", service "chainMetrics" */
  readonly metrics?: Metrics;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: readonly { name: string; ok: boolean; detail: string }[];
}

export interface ChainMetricsReport {
  readonly oldestUnprovenBatchAgeSeconds: number;
  readonly oldestUnprovenBatchId?: number;
  readonly staleCleared: number;
}

export type ChainMetricsEvent = { readonly smoke: true } | Record<string, unknown>;
export type ChainMetricsHandler = middy.MiddyfiedHandler<
  ChainMetricsEvent,
  ChainMetricsReport | SmokeResult,
  Error,
  Context
>;

/**
 * The scheduled chain-metrics function: the gauges the processor cannot emit as events arrive. Today
 * that is OldestUnprovenBatchAgeSeconds — it must keep rising while nothing arrives at all, which is
 * exactly when the "batch not proven within 3 h" alarm matters; a metric emitted per event would stop.
 */
export function createChainMetricsHandler(
  dependencies: ChainMetricsHandlerDependencies,
): ChainMetricsHandler {
  const { config, ddb } = dependencies;
  const now = dependencies.now ?? Date.now;
  const logger = dependencies.logger ?? new Logger({ serviceName: CHAIN_METRICS_SERVICE });
  const metrics =
    dependencies.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: CHAIN_METRICS_SERVICE });

  async function smoke(): Promise<SmokeResult> {
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: config.stateTable }));
      const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === UNPROVEN_INDEX.indexName);
      const ok = Table?.TableStatus === "ACTIVE" && index?.IndexStatus === "ACTIVE";
      const detail = `${config.stateTable} is ${Table?.TableStatus ?? "missing"}, index ${UNPROVEN_INDEX.indexName} is ${index?.IndexStatus ?? "missing"}`;
      return { ok, checks: [{ name: "stateTable", ok, detail }] };
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ok: false, checks: [{ name: "stateTable", ok: false, detail }] };
    }
  }

  return middy<ChainMetricsEvent, ChainMetricsReport | SmokeResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      if ((event as { smoke?: unknown }).smoke === true) return smoke();
      const oldest = await oldestUnprovenBatch(ddb, { tableName: config.stateTable, now: now() });
      // Emitted every run, 0 included: the alarm must see a value each minute, not a gap.
      metrics.addMetric(ChainMetric.OldestUnprovenBatchAgeSeconds, MetricUnit.Seconds, oldest.ageSeconds);
      const report: ChainMetricsReport = {
        oldestUnprovenBatchAgeSeconds: oldest.ageSeconds,
        ...(oldest.batchId === undefined ? {} : { oldestUnprovenBatchId: oldest.batchId }),
        staleCleared: oldest.staleCleared,
      };
      logger.info("chain metrics", { ...report });
      return report;
    });
}
