import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { createMetrics } from "../shared/createMetrics.js";
import { ChainMetric } from "../shared/metricNames.js";
import { ServiceName } from "../shared/serviceNames.js";
import {
  describeError,
  isSmokeEvent,
  type SmokeEvent,
  type SmokeResult,
  smokeResult,
} from "../shared/smokeTest.js";
import { UNPROVEN_INDEX } from "../shared/tables.js";
import { traceInvocation } from "../shared/tracing.js";
import type { UnprovenBatchAgeConfig } from "./config.js";
import { oldestUnfinalizedProposal } from "./oldestUnfinalizedProposal.js";
import { oldestUnprovenBatch } from "./oldestUnprovenBatch.js";

export interface UnprovenBatchAgeHandlerDependencies {
  readonly config: UnprovenBatchAgeConfig;
  readonly ddb: DynamoDBClient;
  /** @default a Powertools Logger, service "unprovenBatchAge" */
  readonly logger?: Logger;
  /** @default Powertools Metrics, namespace "Tidemark", service "unprovenBatchAge" */
  readonly metrics?: Metrics;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export interface UnprovenBatchAgeReport {
  readonly oldestUnprovenBatchAgeSeconds: number;
  readonly oldestUnprovenBatchId?: number;
  readonly staleCleared: number;
  /** Shasta: the oldest proposal not finalized (L1 time of its Proposed to now), 0 when none. */
  readonly oldestUnfinalizedProposalAgeSeconds: number;
  readonly oldestUnfinalizedProposalId?: number;
}

export type UnprovenBatchAgeEvent = SmokeEvent | Record<string, unknown>;
export type UnprovenBatchAgeHandler = middy.MiddyfiedHandler<
  UnprovenBatchAgeEvent,
  UnprovenBatchAgeReport | SmokeResult,
  Error,
  Context
>;

/**
 * The scheduled function that reports OldestUnprovenBatchAgeSeconds: a gauge the processor cannot emit
 * as events arrive — it must keep rising while nothing arrives at all, which is exactly when the "batch
 * not proven within 3 h" alarm matters; a metric emitted per event would stop.
 */
export function createUnprovenBatchAgeHandler(
  dependencies: UnprovenBatchAgeHandlerDependencies,
): UnprovenBatchAgeHandler {
  const { config, ddb } = dependencies;
  const now = dependencies.now ?? Date.now;
  const logger = dependencies.logger ?? new Logger({ serviceName: ServiceName.unprovenBatchAge });
  const metrics = dependencies.metrics ?? createMetrics(ServiceName.unprovenBatchAge);

  async function smoke(): Promise<SmokeResult> {
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: config.stateTable }));
      const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === UNPROVEN_INDEX.indexName);
      const ok = Table?.TableStatus === "ACTIVE" && index?.IndexStatus === "ACTIVE";
      const detail = `${config.stateTable} is ${Table?.TableStatus ?? "missing"}, index ${UNPROVEN_INDEX.indexName} is ${index?.IndexStatus ?? "missing"}`;
      return smokeResult([{ name: "stateTable", ok, detail }]);
    } catch (error) {
      return smokeResult([{ name: "stateTable", ok: false, detail: describeError(error) }]);
    }
  }

  return middy<UnprovenBatchAgeEvent, UnprovenBatchAgeReport | SmokeResult, Error, Context>()
    .use(traceInvocation())
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      if (isSmokeEvent(event)) return smoke();
      const oldest = await oldestUnprovenBatch(ddb, { tableName: config.stateTable, now: now() });
      // Emitted every run, 0 included: the alarm must see a value each minute, not a gap.
      metrics.addMetric(ChainMetric.OldestUnprovenBatchAgeSeconds, MetricUnit.Seconds, oldest.ageSeconds);
      // Shasta's counterpart: the same alarm watches both forks (lib/monitoring/PipelineAlarms.ts).
      const proposal = await oldestUnfinalizedProposal(ddb, { tableName: config.stateTable, now: now() });
      metrics.addMetric(
        ChainMetric.OldestUnfinalizedProposalAgeSeconds,
        MetricUnit.Seconds,
        proposal.ageSeconds,
      );
      const report: UnprovenBatchAgeReport = {
        oldestUnprovenBatchAgeSeconds: oldest.ageSeconds,
        ...(oldest.batchId === undefined ? {} : { oldestUnprovenBatchId: oldest.batchId }),
        staleCleared: oldest.staleCleared,
        oldestUnfinalizedProposalAgeSeconds: proposal.ageSeconds,
        ...(proposal.proposalId === undefined ? {} : { oldestUnfinalizedProposalId: proposal.proposalId }),
      };
      logger.info("oldest unproven batch", { ...report });
      return report;
    });
}
