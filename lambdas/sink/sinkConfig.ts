import * as z from "zod/mini";
import { SinkEnv } from "../shared/environment.js";
import { ConfigError } from "../shared/errors.js";
import { type Env, enumSetting, isHttpUrl, readSetting, requiredString } from "../shared/readConfig.js";

export const SINK_KINDS = ["duckdb", "firehose", "clickhouse"] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export type SinkConfig =
  | { readonly kind: "duckdb"; readonly path: string }
  | { readonly kind: "firehose"; readonly deliveryStreamName: string }
  | ClickHouseSinkConfig;

/**
 * ClickHouse connection: given inline (CLICKHOUSE_URL, CLICKHOUSE_USER,
 * CLICKHOUSE_PASSWORD) or as a Secrets Manager secret (CLICKHOUSE_SECRET_ID)
 * holding JSON `{ "url", "username"?, "password"?, "database"? }`.
 */
export type ClickHouseSinkConfig = {
  readonly kind: "clickhouse";
  /** CLICKHOUSE_DATABASE; the secret's `database` when it has one and the variable is unset. @default "tidemark" */
  readonly database: string;
  readonly databaseFromEnv: boolean;
} & (
  | {
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      readonly secretId?: undefined;
    }
  | { readonly secretId: string; readonly url?: undefined }
);

export const CLICKHOUSE_DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Firehose delivery stream names: 1–64 of [a-zA-Z0-9_.-]. */
const streamName = z.pipe(
  requiredString("required when SINK=firehose"),
  z.string().check(
    z.regex(/^[a-zA-Z0-9_.-]{1,64}$/, {
      error: (issue) => `"${String(issue.input)}" is not a delivery stream name`,
    }),
  ),
);

/** CLICKHOUSE_DATABASE, "tidemark" when unset. */
const databaseName = z.pipe(
  z.transform((value: string | undefined) => value ?? "tidemark"),
  z.string().check(
    z.refine((v) => CLICKHOUSE_DATABASE_NAME.test(v), {
      error: (issue) => `"${String(issue.input)}" is not a database name (letters, digits, _)`,
    }),
  ),
);

const optionalString = z.optional(z.string());

/**
 * Reads the sink settings: SINK = duckdb (default) | firehose | clickhouse; DUCKDB_PATH (a file, or
 * ":memory:") for duckdb; FIREHOSE_STREAM_NAME for firehose; CLICKHOUSE_URL (or CLICKHOUSE_SECRET_ID),
 * CLICKHOUSE_DATABASE, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD for clickhouse. Throws ConfigError naming
 * the variable. DUCKDB_PATH has no default on purpose: an in-memory sink silently loses everything
 * when the process ends.
 */
export function readSinkConfig(env: Env): SinkConfig {
  const kind = readSetting(
    env,
    SinkEnv.Sink,
    enumSetting(SINK_KINDS, "duckdb", (v) => `"${v}" is not a sink; expected duckdb, firehose or clickhouse`),
  );
  switch (kind) {
    case "duckdb":
      return {
        kind,
        path: readSetting(
          env,
          SinkEnv.DuckDbPath,
          requiredString('required when SINK=duckdb (a database file, or ":memory:")'),
        ),
      };
    case "firehose":
      return { kind, deliveryStreamName: readSetting(env, SinkEnv.FirehoseStreamName, streamName) };
    case "clickhouse":
      return readClickHouseConfig(env);
  }
}

function readClickHouseConfig(env: Env): ClickHouseSinkConfig {
  const database = readSetting(env, SinkEnv.ClickHouseDatabase, databaseName);
  const databaseFromEnv = readSetting(env, SinkEnv.ClickHouseDatabase, optionalString) !== undefined;
  const secretId = readSetting(env, SinkEnv.ClickHouseSecretId, optionalString);
  const url = readSetting(env, SinkEnv.ClickHouseUrl, optionalString);
  if (secretId && url) {
    throw new ConfigError(
      SinkEnv.ClickHouseSecretId,
      "give either CLICKHOUSE_SECRET_ID or CLICKHOUSE_URL, not both",
    );
  }
  if (secretId) return { kind: "clickhouse", database, databaseFromEnv, secretId };
  if (!url) {
    throw new ConfigError(SinkEnv.ClickHouseUrl, "required when SINK=clickhouse (or CLICKHOUSE_SECRET_ID)");
  }
  checkClickHouseUrl(SinkEnv.ClickHouseUrl, url);
  const username = readSetting(env, SinkEnv.ClickHouseUser, optionalString);
  // The password is taken as given: spaces may be part of it.
  const password = env[SinkEnv.ClickHousePassword];
  return {
    kind: "clickhouse",
    database,
    databaseFromEnv,
    url,
    ...(username ? { username } : {}),
    ...(password !== undefined && password !== "" ? { password } : {}),
  };
}

/** Throws a ConfigError naming `setting` unless `url` is an http(s) URL (ClickHouse's HTTP interface). */
export function checkClickHouseUrl(setting: string, url: string): void {
  if (!isHttpUrl(url)) {
    throw new ConfigError(setting, `"${url}" is not an http(s) URL of ClickHouse's HTTP interface`);
  }
}
