import { describe, expect, it } from "vitest";
import { loadProcessorConfig } from "../../../lambdas/processor/config.js";
import { ConfigError } from "../../../lambdas/shared/errors.js";

const env = {
  IDEMPOTENCY_TABLE: "tidemark-idempotency",
  STATE_TABLE: "tidemark-state",
  DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/tidemark-events-dlq.fifo",
  SINK: "firehose",
  FIREHOSE_STREAM_NAME: "tidemark-rows",
};

describe("loadProcessorConfig", () => {
  it("reads the settings with their defaults", () => {
    // Act
    const config = loadProcessorConfig(env);

    // Assess
    expect(config).toEqual({
      idempotencyTable: "tidemark-idempotency",
      stateTable: "tidemark-state",
      dlqUrl: env.DLQ_URL,
      claimTimeoutSeconds: 120,
      idempotencyTtlDays: 30,
      sink: { kind: "firehose", deliveryStreamName: "tidemark-rows" },
    });
  });

  it("takes explicit lease and TTL settings", () => {
    // Act
    const config = loadProcessorConfig({ ...env, CLAIM_TIMEOUT_SECONDS: "300", IDEMPOTENCY_TTL_DAYS: "7" });

    // Assess
    expect(config).toMatchObject({ claimTimeoutSeconds: 300, idempotencyTtlDays: 7 });
  });

  it.each([
    ["IDEMPOTENCY_TABLE", { IDEMPOTENCY_TABLE: undefined }],
    ["STATE_TABLE", { STATE_TABLE: "a b" }],
    ["DLQ_URL", { DLQ_URL: "tidemark-events-dlq.fifo" }],
    ["CLAIM_TIMEOUT_SECONDS", { CLAIM_TIMEOUT_SECONDS: "0" }],
    ["IDEMPOTENCY_TTL_DAYS", { IDEMPOTENCY_TTL_DAYS: "2.5" }],
    ["SINK", { SINK: "parquet" }],
    ["FIREHOSE_STREAM_NAME", { FIREHOSE_STREAM_NAME: "" }],
    ["DUCKDB_PATH", { SINK: "duckdb" }],
  ])("fails fast with a ConfigError naming %s", (setting, override) => {
    // Act
    const load = () => loadProcessorConfig({ ...env, ...override });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${setting}: `));
  });
});
