import { METRIC_NAMESPACE } from "../../../lambdas/shared/metricNames.js";
import type { Json, TemplateResource } from "../synthStage.js";
import type { MetricIdentity } from "./emfRecorder.js";
import { dashboardBody, objectsIn } from "./physicalNames.js";

/** Where a template reads a metric: an alarm (by name) or the dashboard. */
export interface MetricRead extends MetricIdentity {
  readonly reader: string;
}

/** Every custom metric the alarms and dashboards of a template read, with the dimension set they read. */
export function metricsRead(resources: Record<string, TemplateResource>): MetricRead[] {
  const reads: MetricRead[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type === "AWS::CloudWatch::Alarm") {
      for (const o of objectsIn(r.Properties)) {
        if (o.Namespace !== METRIC_NAMESPACE) continue;
        const dimensions = ((o.Dimensions ?? []) as Json[]).map((d) => `${d.Name}=${d.Value}`).sort();
        reads.push({
          reader: `alarm ${r.Properties.AlarmName}`,
          namespace: o.Namespace,
          name: o.MetricName,
          dimensions,
        });
      }
    }
    if (r.Type === "AWS::CloudWatch::Dashboard") {
      for (const o of objectsIn(dashboardBody(r))) {
        for (const row of Array.isArray(o.metrics) ? (o.metrics as Json[][]) : []) {
          if (row[0] !== METRIC_NAMESPACE) continue;
          const pairs = row.slice(2).filter((x) => typeof x === "string") as string[];
          const dimensions: string[] = [];
          for (let i = 0; i + 1 < pairs.length; i += 2) dimensions.push(`${pairs[i]}=${pairs[i + 1]}`);
          reads.push({
            reader: `dashboard ${o.title ?? ""}`,
            namespace: row[0],
            name: row[1],
            dimensions: dimensions.sort(),
          });
        }
      }
    }
  }
  return reads;
}
