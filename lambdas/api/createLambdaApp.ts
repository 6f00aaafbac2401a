import { readFile } from "node:fs/promises";
import type { AthenaClient } from "@aws-sdk/client-athena";
import type { Hono } from "hono";
import { getConnInfo } from "hono/aws-lambda";
import { EVENT_LOG_RETENTION_DAYS, STATE_TABLE } from "../shared/environment.js";
import { ConfigError } from "../shared/errors.js";
import { readSetting, tableNameSetting } from "../shared/readConfig.js";
import { traced } from "../shared/tracing.js";
import { createSink } from "../sink/createSink.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import { readSinkConfig } from "../sink/sinkConfig.js";
import { readApiSettings } from "./apiSettings.js";
import { createApiApp } from "./createApiApp.js";
import type { EventLog } from "./stream/EventLog.js";
import type { StreamStats } from "./stream/streamStats.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Where the built dashboard page sits in the deployment package (written by buildDashboardPage at bundle time). */
export const DASHBOARD_HTML_PATH_ENV = "DASHBOARD_HTML_PATH";

/** The variables that choose and reach the API's query backend; the CDK construct sets them. */
export const API_BACKEND_ENV = {
  sink: "SINK",
  athenaWorkGroup: "ATHENA_WORKGROUP",
  athenaDatabase: "ATHENA_DATABASE",
  athenaTimeoutMs: "ATHENA_QUERY_TIMEOUT_MS",
} as const;

/** Where the API's SQL runs: Athena over the Iceberg tables (the AWS default), ClickHouse, or DuckDB (local). */
export type ApiBackend =
  | {
      readonly kind: "athena";
      readonly workGroup: string;
      readonly database: string;
      readonly timeoutMs?: number;
    }
  | { readonly kind: "clickhouse" }
  | { readonly kind: "duckdb" };

// Athena workgroup names: 1–128 of [a-zA-Z0-9._-]; Glue database names: lowercase, digits, _.
const WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;
const DATABASE = /^[a-z0-9_]{1,255}$/;

/** Reads SINK (athena | clickhouse | duckdb; default athena) and Athena's settings; a bad one fails naming it. */
export function readApiBackend(env: Env): ApiBackend {
  const e = API_BACKEND_ENV;
  const kind = env[e.sink]?.trim() || "athena";
  if (kind === "clickhouse" || kind === "duckdb") return { kind };
  if (kind === "firehose") {
    throw new ConfigError(
      e.sink,
      "firehose is write-only; the API reads the Firehose → Iceberg tables with SINK=athena",
    );
  }
  if (kind !== "athena") {
    throw new ConfigError(e.sink, `"${kind}" is not a query backend; expected athena, clickhouse or duckdb`);
  }
  const workGroup = env[e.athenaWorkGroup]?.trim() ?? "";
  if (!WORKGROUP.test(workGroup)) {
    throw new ConfigError(
      e.athenaWorkGroup,
      `required when SINK=athena; "${workGroup}" is not a workgroup name`,
    );
  }
  const database = env[e.athenaDatabase]?.trim() ?? "";
  if (!DATABASE.test(database)) {
    throw new ConfigError(
      e.athenaDatabase,
      `required when SINK=athena; "${database}" is not a Glue database name`,
    );
  }
  const rawTimeout = env[e.athenaTimeoutMs]?.trim();
  if (rawTimeout === undefined || rawTimeout === "") return { kind, workGroup, database };
  const timeoutMs = /^\d+$/.test(rawTimeout) ? Number(rawTimeout) : Number.NaN;
  if (!(timeoutMs >= 1000 && timeoutMs <= 900_000)) {
    throw new ConfigError(e.athenaTimeoutMs, `"${rawTimeout}" is not 1000–900000 milliseconds`);
  }
  return { kind, workGroup, database, timeoutMs };
}

export interface CreateApiQueryableDependencies {
  /** Built once per process when absent. */
  readonly athenaClient?: AthenaClient;
  /** The stream's counters (the stream handler emits them as metrics). */
  readonly streamStats?: StreamStats;
}

/**
 * The stream's event log, when this deployment serves the stream (EVENT_LOG_RETENTION_DAYS set, as on
 * the processor): read from the state table the processor appends to. Loaded only then.
 */
export async function createApiEventLog(env: Env): Promise<EventLog | undefined> {
  if (!env[EVENT_LOG_RETENTION_DAYS]?.trim()) return undefined;
  const tableName = readSetting(env, STATE_TABLE, tableNameSetting());
  const { createDynamoEventLog } = await import("./stream/createDynamoEventLog.js");
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  return createDynamoEventLog({ ddb: traced(new DynamoDBClient({})), tableName });
}

/** The SQL port the API reads, per the backend setting. The Athena adapter is loaded only when used. */
export async function createApiQueryable(
  env: Env,
  deps: CreateApiQueryableDependencies = {},
): Promise<SqlQueryable> {
  const backend = readApiBackend(env);
  if (backend.kind === "athena") {
    const { createAthenaQueryable } = await import("./athenaQueryable.js");
    const { AthenaClient } = await import("@aws-sdk/client-athena");
    return createAthenaQueryable({ ...backend, client: deps.athenaClient ?? traced(new AthenaClient({})) });
  }
  const sink = await createSink(readSinkConfig(env));
  if (!("query" in sink)) throw new ConfigError("SINK", `SINK=${sink.kind} cannot be queried`);
  return sink as unknown as SqlQueryable;
}

/**
 * The API app as Lambda runs it: settings, the query backend and the page read once per cold
 * start; a bad setting fails the cold start naming it. The buffered handler (API Gateway) and the
 * streaming one (function URL) both serve this app.
 */
export async function createLambdaApp(env: Env, deps: CreateApiQueryableDependencies = {}): Promise<Hono> {
  const settings = readApiSettings(env);
  const db = await createApiQueryable(env, deps);
  const pagePath = env[DASHBOARD_HTML_PATH_ENV] ?? "dashboard.html";
  const dashboardHtml = await readFile(pagePath, "utf8").catch(() => undefined);
  const eventLog = await createApiEventLog(env);
  return createApiApp({
    ...(eventLog ? { eventLog } : {}),
    ...(deps.streamStats ? { streamStats: deps.streamStats } : {}),
    db,
    settings,
    version: env.AWS_LAMBDA_FUNCTION_VERSION ?? "unknown",
    dashboardHtml,
    clientIdOf: (c) => getConnInfo(c).remote.address ?? "unknown",
  });
}
