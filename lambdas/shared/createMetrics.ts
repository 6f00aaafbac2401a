import { Metrics } from "@aws-lambda-powertools/metrics";
import type { MetricsOptions } from "@aws-lambda-powertools/metrics/types";
import { TIDEMARK_STAGE } from "./environment.js";
import { METRIC_NAMESPACE, STAGE_DIMENSION } from "./metricNames.js";
import type { Env } from "./readConfig.js";

/** `{ stage }` when the function runs in a stage (TIDEMARK_STAGE, set by the CDK), else nothing (local runs). */
export const stageDimensions = (env: Env = process.env): Record<string, string> => {
  const stage = env[TIDEMARK_STAGE]?.trim();
  return stage ? { [STAGE_DIMENSION]: stage } : {};
};

export interface CreateMetricsOptions {
  /** Dimensions of every metric besides `service` and `stage` (the ingestor's `chain`). @default none */
  readonly defaultDimensions?: Readonly<Record<string, string>>;
  /** Where Powertools writes its own warnings. @default the console */
  readonly logger?: MetricsOptions["logger"];
  /** @default process.env */
  readonly env?: Env;
}

/**
 * Powertools Metrics in the Tidemark namespace with the dimensions the dashboard and alarms read:
 * `service`, and `stage` where the CDK set one, so dev, staging and prod in one account never share
 * a metric (a dev dead letter must not page prod).
 */
export function createMetrics(serviceName: string, options: CreateMetricsOptions = {}): Metrics {
  return new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName,
    defaultDimensions: { ...stageDimensions(options.env), ...options.defaultDimensions },
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
