import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";

/**
 * X-Ray tracing for every Tidemark function (Powertools Tracer). One Tracer per container, named by
 * POWERTOOLS_SERVICE_NAME as the construct sets it; the X-Ray SDK keeps the segment process-wide, so the
 * clients a shared module builds (the sink's, the API's) are captured through the same one.
 *
 * Off outside Lambda by the Tracer's own switch (no AWS_EXECUTION_ENV: `npm start`, tests, the bench
 * never look for a daemon), and off anywhere with POWERTOOLS_TRACE_ENABLED=false. Disabled, capturing
 * a client returns it untouched and the middleware does nothing.
 */
let shared: Tracer | undefined;

export const tracer = (): Tracer => {
  shared ??= new Tracer({ captureHTTPsRequests: true });
  return shared;
};

/** An SDK v3 client whose calls are subsegments of the invocation (service, operation, resource, errors). */
export const traced = <C>(client: C): C => tracer().captureAWSv3Client(client);

/**
 * The middleware that opens the invocation's subsegment (annotated with the cold start, errors
 * recorded). Responses are not recorded: an ingestor report or a batch response can pass X-Ray's 64 KB
 * segment limit, and nothing in them is needed to read a trace.
 */
export const traceInvocation = () => captureLambdaHandler(tracer(), { captureResponse: false });

/** A plain async handler, traced: middy with the tracing middleware only. */
export function withTracing<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy<E, R, Error, Context>().use(traceInvocation()).handler(handler);
}
