import type { Hono } from "hono";
import { streamHandle } from "hono/aws-lambda";
import { createLambdaApp } from "./createLambdaApp.js";

let app: Promise<Hono> | undefined;

/** Forwards to the app, built on the first request (settings and backend once per instance). */
const lazyApp = {
  fetch: async (request: Request, env: unknown) => {
    app ??= createLambdaApp(process.env);
    return (await app).fetch(request, env);
  },
} as unknown as Hono;

/**
 * The same app behind a Lambda function URL in RESPONSE_STREAM mode: bodies (the SSE stream above
 * all) are written as they are produced instead of buffered. `streamHandle` wraps the handler with
 * the runtime's `awslambda.streamifyResponse`, which exists only inside Lambda's Node.js runtime.
 */
export const handler = streamHandle(lazyApp);
