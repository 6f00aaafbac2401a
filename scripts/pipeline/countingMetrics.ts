import { Metrics } from "@aws-lambda-powertools/metrics";
import { stageDimensions } from "../../lambdas/shared/createMetrics.js";
import { METRIC_NAMESPACE } from "../../lambdas/shared/metricNames.js";

const ignore = () => undefined;
const SILENT = { debug: ignore, info: ignore, warn: ignore, error: ignore, trace: ignore, log: ignore };

/**
 * Powertools Metrics that also keeps running totals, so a local run can show
 * what the functions counted (the same figures CloudWatch would get as EMF).
 */
export class CountingMetrics extends Metrics {
  readonly totals = new Map<string, number>();
  /** Every value added, in order (what CloudWatch would get, one EMF value each). */
  readonly samples: { readonly name: string; readonly value: number }[] = [];

  constructor(serviceName: string) {
    // Its own warnings (e.g. "no application metrics to publish") would break the progress line.
    // The dimensions are a deployed function's (createMetrics): `stage` when TIDEMARK_STAGE is set.
    super({ namespace: METRIC_NAMESPACE, serviceName, logger: SILENT, defaultDimensions: stageDimensions() });
  }

  override addMetric(...args: Parameters<Metrics["addMetric"]>): this {
    const [name, , value] = args;
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
    this.samples.push({ name, value });
    super.addMetric(...args);
    return this;
  }

  total(name: string): number {
    return this.totals.get(name) ?? 0;
  }
}
