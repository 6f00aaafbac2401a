import { Console } from "node:console";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { CountingMetrics } from "../scripts/pipeline/countingMetrics.js";

/** A Lambda-like context whose remaining time counts down from `budgetMs`. */
export function benchContext(functionName: string, budgetMs = 30_000): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}:live`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "bench",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

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
