import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../lambdas/shared/errors.js";
import {
  type CreateSinkDependencies,
  createLambdaSink,
  createSink,
} from "../../../lambdas/sink/createSink.js";
import { readSinkConfig } from "../../../lambdas/sink/sinkConfig.js";
import { l1Header, record } from "../../support/events.js";

const firehose = mockClient(FirehoseClient);
/** The sink the processor builds from these settings: read once, then built from the typed config. */
const createSinkFromEnv = (env: Record<string, string>, deps?: CreateSinkDependencies) =>
  createSink(readSinkConfig(env), deps);
afterEach(() => firehose.reset());

describe("readSinkConfig", () => {
  it("defaults to duckdb and requires DUCKDB_PATH", () => {
    expect(readSinkConfig({ DUCKDB_PATH: "/data/tidemark.duckdb" })).toEqual({
      kind: "duckdb",
      path: "/data/tidemark.duckdb",
    });
    expect(() => readSinkConfig({})).toThrow(expect.objectContaining({ setting: "DUCKDB_PATH" }));
  });

  it("reads firehose settings and names the variable that is wrong", () => {
    expect(readSinkConfig({ SINK: "firehose", FIREHOSE_STREAM_NAME: "tidemark-rows" })).toEqual({
      kind: "firehose",
      deliveryStreamName: "tidemark-rows",
    });
    expect(() => readSinkConfig({ SINK: "firehose" })).toThrow(
      expect.objectContaining({ setting: "FIREHOSE_STREAM_NAME" }),
    );
    expect(() => readSinkConfig({ SINK: "firehose", FIREHOSE_STREAM_NAME: "has spaces" })).toThrow(
      ConfigError,
    );
    expect(() => readSinkConfig({ SINK: "postgres" })).toThrow(expect.objectContaining({ setting: "SINK" }));
  });
});

describe("createSink", () => {
  it("builds a working DuckDB sink", async () => {
    // Act
    const sink = await createSinkFromEnv({ SINK: "duckdb", DUCKDB_PATH: ":memory:" });
    // Assess
    await sink.write([record(l1Header(1))]);
    expect(sink.kind).toBe("duckdb");
    expect(await sink.health()).toMatchObject({ ok: true });
    await sink.close();
  });

  it("builds a Firehose sink on the injected client", async () => {
    // Prepare
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: "a" }] });
    // Act
    const sink = await createSinkFromEnv(
      { SINK: "firehose", FIREHOSE_STREAM_NAME: "tidemark-rows" },
      { firehoseClient: new FirehoseClient({ region: "eu-west-1" }) },
    );
    await sink.write([record(l1Header(1))]);
    // Assess
    expect(sink.kind).toBe("firehose");
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input.DeliveryStreamName).toBe(
      "tidemark-rows",
    );
  });
});

describe("readSinkConfig (clickhouse)", () => {
  it("reads the URL, database and credentials, and names the variable that is wrong", () => {
    expect(
      readSinkConfig({
        SINK: "clickhouse",
        CLICKHOUSE_URL: "https://ch.internal:8443",
        CLICKHOUSE_DATABASE: "chain",
        CLICKHOUSE_USER: "tidemark",
        CLICKHOUSE_PASSWORD: "s3cret",
      }),
    ).toEqual({
      kind: "clickhouse",
      url: "https://ch.internal:8443",
      database: "chain",
      databaseFromEnv: true,
      username: "tidemark",
      password: "s3cret",
    });
    expect(readSinkConfig({ SINK: "clickhouse", CLICKHOUSE_SECRET_ID: "tidemark/clickhouse" })).toMatchObject(
      {
        secretId: "tidemark/clickhouse",
        database: "tidemark",
      },
    );
    const setting = (env: Record<string, string>) => {
      try {
        readSinkConfig(env);
        return undefined;
      } catch (error) {
        return (error as ConfigError).setting;
      }
    };
    expect(setting({ SINK: "clickhouse" })).toBe("CLICKHOUSE_URL");
    expect(setting({ SINK: "clickhouse", CLICKHOUSE_URL: "ch.internal:8123" })).toBe("CLICKHOUSE_URL");
    expect(
      setting({ SINK: "clickhouse", CLICKHOUSE_URL: "http://h:8123", CLICKHOUSE_DATABASE: "x; DROP" }),
    ).toBe("CLICKHOUSE_DATABASE");
    expect(setting({ SINK: "clickhouse", CLICKHOUSE_URL: "http://h:8123", CLICKHOUSE_SECRET_ID: "s" })).toBe(
      "CLICKHOUSE_SECRET_ID",
    );
  });
});

describe("createSink (clickhouse)", () => {
  it("reads the connection from the Secrets Manager secret and fails as a ConfigError on a secret without url", async () => {
    // Prepare: the secret points at a closed port, so opening fails after the secret was read and used
    const secrets: Record<string, string> = {
      good: JSON.stringify({ url: "http://127.0.0.1:9", username: "u", password: "p" }),
      bad: JSON.stringify({ username: "u" }),
    };
    const fetchSecret = async (id: string) => secrets[id];
    // Act / Assess
    await expect(
      createSinkFromEnv({ SINK: "clickhouse", CLICKHOUSE_SECRET_ID: "good" }, { fetchSecret }),
    ).rejects.toThrow(/127\.0\.0\.1:9/);
    await expect(
      createSinkFromEnv({ SINK: "clickhouse", CLICKHOUSE_SECRET_ID: "bad" }, { fetchSecret }),
    ).rejects.toMatchObject({ setting: "CLICKHOUSE_SECRET_ID" });
  });
});

describe("createLambdaSink (the processor function's sinks)", () => {
  it("refuses SINK=duckdb as a ConfigError naming SINK, and builds the firehose sink as createSink does", async () => {
    // Act
    const duckdb = await createLambdaSink(
      readSinkConfig({ SINK: "duckdb", DUCKDB_PATH: "/tmp/x.duckdb" }),
    ).catch((e: unknown) => e);
    const sink = await createLambdaSink(readSinkConfig({ SINK: "firehose", FIREHOSE_STREAM_NAME: "s" }), {
      firehoseClient: new FirehoseClient({ region: "us-east-1" }),
    });

    // Assess
    expect(duckdb).toBeInstanceOf(ConfigError);
    expect(duckdb).toMatchObject({ setting: "SINK" });
    expect((duckdb as Error).message).toContain("duckdb is for local runs");
    expect(sink.kind).toBe("firehose");
  });
});
