import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { METRIC_NAMESPACE, STAGE_DIMENSION } from "../../lambdas/shared/metricNames.js";

export interface CustomMetricProps {
  /** POWERTOOLS_SERVICE_NAME of the emitting function: Powertools adds it as the `service` dimension. */
  readonly service: string;
  readonly metricName: string;
  readonly statistic: string;
  /** The stage the functions were given (TIDEMARK_STAGE): they emit it as the `stage` dimension. @default - none */
  readonly stage?: string;
  /** Further dimensions the function emits the metric with (`chain`). @default none */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** @default 1 minute */
  readonly period?: Duration;
  /** @default - CloudWatch's */
  readonly label?: string;
}

/**
 * A Tidemark custom metric, with exactly the dimensions the functions emit it with
 * (lambdas/shared/createMetrics.ts): `service`, `stage` when deployed in one, and the metric's own.
 * A metric read with another dimension set is another metric and never receives data.
 */
export const customMetric = (p: CustomMetricProps): cloudwatch.Metric =>
  new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: p.metricName,
    dimensionsMap: {
      service: p.service,
      ...(p.stage === undefined ? {} : { [STAGE_DIMENSION]: p.stage }),
      ...p.dimensions,
    },
    statistic: p.statistic,
    period: p.period ?? Duration.minutes(1),
    label: p.label,
  });
