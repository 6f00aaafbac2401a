import { readFile } from "node:fs/promises";
import type { Hono } from "hono";
import { getConnInfo, handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { ConfigError } from "../shared/errors.js";
import { createSink } from "../sink/createSink.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import { readSinkConfig } from "../sink/sinkConfig.js";
import { readApiSettings } from "./apiSettings.js";
import { createApiApp } from "./createApiApp.js";

/** Where the built dashboard page sits in the deployment package (written by buildDashboardPage at bundle time). */
export const DASHBOARD_HTML_PATH_ENV = "DASHBOARD_HTML_PATH";

/**
 * The API in Lambda: the same app as the local server, behind API Gateway or a
 * function URL. Settings, the sink and the page are read once per cold start;
 * a bad setting fails the cold start naming it.
 */
async function createApp(env: NodeJS.ProcessEnv): Promise<Hono> {
  const settings = readApiSettings(env);
  const sink = await createSink(readSinkConfig(env));
  if (!("query" in sink)) {
    throw new ConfigError("SINK", `the API reads SQL: SINK=${sink.kind} cannot be queried (use clickhouse)`);
  }
  const pagePath = env[DASHBOARD_HTML_PATH_ENV] ?? "dashboard.html";
  const dashboardHtml = await readFile(pagePath, "utf8").catch(() => undefined);
  return createApiApp({
    db: sink as unknown as SqlQueryable,
    settings,
    version: env.AWS_LAMBDA_FUNCTION_VERSION ?? "unknown",
    dashboardHtml,
    clientIdOf: (c) => getConnInfo(c).remote.address ?? "unknown",
  });
}

let lambdaHandler: Promise<ReturnType<typeof handle>> | undefined;

export const handler = async (event: LambdaEvent, context: LambdaContext) => {
  // Built on first use and kept: one sink connection and one set of settings per instance.
  lambdaHandler ??= createApp(process.env).then((app) => handle(app));
  return (await lambdaHandler)(event, context);
};
