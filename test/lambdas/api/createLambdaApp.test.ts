import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { API_BACKEND_ENV, createLambdaApp, readApiBackend } from "../../../lambdas/api/createLambdaApp.js";
import { ConfigError } from "../../../lambdas/shared/errors.js";

const athena = mockClient(AthenaClient);
afterEach(() => athena.reset());

const ATHENA_ENV = { SINK: "athena", ATHENA_WORKGROUP: "tidemark-dev", ATHENA_DATABASE: "tidemark_dev" };

const settingOf = (env: Record<string, string>): string | undefined => {
  try {
    readApiBackend(env);
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.setting : `not a ConfigError: ${String(error)}`;
  }
};

describe("the API's query backend", () => {
  it("reads Athena by default (the AWS sink) and takes ClickHouse or DuckDB when asked", () => {
    // Act
    const { SINK: _omitted, ...noSink } = ATHENA_ENV;
    // Assess
    expect(readApiBackend(noSink)).toEqual({
      kind: "athena",
      workGroup: "tidemark-dev",
      database: "tidemark_dev",
    });
    expect(readApiBackend({ ...ATHENA_ENV, ATHENA_QUERY_TIMEOUT_MS: "15000" })).toMatchObject({
      timeoutMs: 15_000,
    });
    expect(readApiBackend({ SINK: "clickhouse" })).toEqual({ kind: "clickhouse" });
    expect(readApiBackend({ SINK: "duckdb" })).toEqual({ kind: "duckdb" });
  });

  it.each([
    [{ SINK: "postgres" }, API_BACKEND_ENV.sink],
    [{ SINK: "firehose" }, API_BACKEND_ENV.sink],
    [{ SINK: "athena", ATHENA_DATABASE: "tidemark" }, API_BACKEND_ENV.athenaWorkGroup],
    [{ SINK: "athena", ATHENA_WORKGROUP: "tidemark" }, API_BACKEND_ENV.athenaDatabase],
    [{ ...ATHENA_ENV, ATHENA_DATABASE: "Tide-Mark" }, API_BACKEND_ENV.athenaDatabase],
    [{ ...ATHENA_ENV, ATHENA_QUERY_TIMEOUT_MS: "5s" }, API_BACKEND_ENV.athenaTimeoutMs],
  ])("fails %j naming %s", (env, setting) => {
    // Assess
    expect(settingOf(env)).toBe(setting);
  });

  it("answers /ready by running the sink check as an Athena query in the configured workgroup", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: "ok", Type: "integer" }] },
        Rows: [{ Data: [{ VarCharValue: "ok" }] }, { Data: [{ VarCharValue: "1" }] }],
      },
    });
    const app = await createLambdaApp(ATHENA_ENV, {
      athenaClient: new AthenaClient({ region: "us-east-1" }),
    });
    // Act
    const res = await app.request("/ready");
    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ checks: { sink: { status: "up" } } });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toMatchObject({
      WorkGroup: "tidemark-dev",
      QueryExecutionContext: { Database: "tidemark_dev" },
    });
  });

  it("fails the cold start naming a bad cache setting", async () => {
    // Act
    const failure = await createLambdaApp({ ...ATHENA_ENV, API_CACHE_TTL_SECONDS: "7200" }).catch((e) => e);
    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).setting).toBe("API_CACHE_TTL_SECONDS");
  });
});
