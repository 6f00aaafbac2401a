import type { Hono } from "hono";
import { streamHandle } from "hono/aws-lambda";
import { createMetrics } from "../shared/createMetrics.js";
import { ServiceName } from "../shared/serviceNames.js";
import { readApiSettings } from "./apiSettings.js";
import { createLambdaApp } from "./createLambdaApp.js";
import { emitStreamMetrics } from "./stream/emitStreamMetrics.js";
import { createStreamStats } from "./stream/streamStats.js";

let app: Promise<Hono> | undefined;
const stats = createStreamStats();
let _emitter: ReturnType<typeof emitStreamMetrics> | undefined;

/** Forwards to the app, built on the first request (settings and backend once per instance). */
const lazyApp = {
  fetch: async (request: Request, env: unknown) => {
    app ??= createLambdaApp(process.env, { streamStats: stats });
    // EMF every minute while connections are open (the instance is frozen between invocations).
    _emitter ??= emitStreamMetrics({
      stats,
      metrics: createMetrics(ServiceName.apiStream),
      maxConnections: readApiSettings(process.env).sseMaxConnections,
    });
    return (await app).fetch(request, env);
  },
} as unknown as Hono;

/**
 * The same app behind a Lambda function URL in RESPONSE_STREAM mode: bodies (the SSE stream above
 * all) are written as they are produced instead of buffered. `streamHandle` wraps the handler with
 * the runtime's `awslambda.streamifyResponse`, which exists only inside Lambda's Node.js runtime.
 */
export const handler = streamHandle(lazyApp);
