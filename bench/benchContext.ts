import { Console } from "node:console";
import { Writable } from "node:stream";
import { Logger } from "@aws-lambda-powertools/logger";
import { CountingMetrics } from "../scripts/pipeline/countingMetrics.js";

export const silentLogger = (serviceName: string) => new Logger({ serviceName, logLevel: "SILENT" });

const discard = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

/**
 * Counting metrics whose EMF lines are still serialized and written (the cost a deployed function
 * pays), but into a sink that discards them, so the bench output stays a table.
 */
export function benchMetrics(serviceName: string): CountingMetrics {
  const metrics = new CountingMetrics(serviceName);
  Object.assign(metrics, { console: new Console({ stdout: discard, stderr: discard }) });
  return metrics;
}
