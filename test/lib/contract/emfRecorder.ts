import { Metrics } from "@aws-lambda-powertools/metrics";
import { vi } from "vitest";
import type { Json } from "../synthStage.js";

/** One metric as CloudWatch files it: namespace, name, and the dimension set with its values. */
export interface MetricIdentity {
  readonly namespace: string;
  readonly name: string;
  /** Sorted `key=value` pairs. */
  readonly dimensions: readonly string[];
}

export const metricKey = (m: MetricIdentity): string =>
  `${m.namespace}/${m.name} {${m.dimensions.join(", ")}}`;

/** The metrics of one EMF document, once per dimension set it declares. */
export function metricsOfEmf(emf: Json): MetricIdentity[] {
  const out: MetricIdentity[] = [];
  for (const directive of emf._aws?.CloudWatchMetrics ?? []) {
    for (const set of directive.Dimensions as string[][]) {
      const dimensions = set.map((key) => `${key}=${emf[key]}`).sort();
      for (const m of directive.Metrics as { Name: string }[])
        out.push({ namespace: directive.Namespace, name: m.Name, dimensions });
    }
  }
  return out;
}

/**
 * Records every EMF document any Powertools Metrics instance serializes (the handlers' own, their
 * single metrics, the local pipeline's counting ones): what CloudWatch would receive from the functions.
 */
export function recordEmf(): { readonly emitted: () => MetricIdentity[]; readonly stop: () => void } {
  const documents: Json[] = [];
  const original = Metrics.prototype.serializeMetrics;
  const spy = vi.spyOn(Metrics.prototype, "serializeMetrics").mockImplementation(function (this: Metrics) {
    const emf = original.call(this);
    documents.push(emf);
    return emf;
  });
  return { emitted: () => documents.flatMap(metricsOfEmf), stop: () => spy.mockRestore() };
}
