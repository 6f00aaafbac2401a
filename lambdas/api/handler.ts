import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { withTracing } from "../shared/tracing.js";
import { createLambdaApp } from "./createLambdaApp.js";

export { DASHBOARD_HTML_PATH_ENV } from "./createLambdaApp.js";

let lambdaHandler: Promise<ReturnType<typeof handle>> | undefined;

/**
 * The API behind API Gateway (HTTP API, payload 2.0): the same app as the local server, answers
 * buffered. The SSE stream is served by streamHandler.ts through a function URL instead.
 */
export const handler = withTracing(async (event: LambdaEvent, context: LambdaContext) => {
  // Built on first use and kept: one backend connection and one set of settings per instance.
  lambdaHandler ??= createLambdaApp(process.env).then((app) => handle(app));
  return (await lambdaHandler)(event, context);
});
