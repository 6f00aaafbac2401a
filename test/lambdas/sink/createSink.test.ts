import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../lambdas/shared/errors.js";
import { createSinkFromEnv, readSinkConfig } from "../../../lambdas/sink/createSink.js";
import { l1Header, record } from "./helpers.js";

const firehose = mockClient(FirehoseClient);
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

describe("createSinkFromEnv", () => {
  it("builds a working DuckDB sink", async () => {
    // Act
    const sink = await createSinkFromEnv({ SINK: "duckdb", DUCKDB_PATH: ":memory:" });
    // Assess
    await sink.write([record(l1Header(1))]);
    expect(sink.kind).toBe("duckdb");
    expect(await sink.check()).toMatchObject({ ok: true });
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
