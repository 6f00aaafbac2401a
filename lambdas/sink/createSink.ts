import type { FirehoseClient } from "@aws-sdk/client-firehose";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError } from "../shared/errors.js";
import type { Sink } from "./Sink.js";

export type SinkKind = "duckdb" | "firehose" | "clickhouse";

/** A sink chosen by configuration, with the dry-run check the `{"smoke": true}` handler reports. */
export interface ConfiguredSink extends Sink {
  readonly kind: SinkKind;
  /** Checks the store is reachable without writing (DuckDB, ClickHouse: schema present; Firehose: stream ACTIVE). */
  check(): Promise<{ ok: boolean; detail: string }>;
}

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

export interface CreateSinkDependencies {
  /** Used by the firehose sink; built once per process when absent. */
  readonly firehoseClient?: FirehoseClient;
  /** Reads CLICKHOUSE_SECRET_ID; built once per process when absent. */
  readonly secretsClient?: SecretsManagerClient;
}

const CLICKHOUSE_DATABASE = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Firehose delivery stream names: 1–64 of [a-zA-Z0-9_.-].
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/**
 * Reads the sink settings: SINK = duckdb (default) | firehose; DUCKDB_PATH (a
 * file, or ":memory:") for duckdb; FIREHOSE_STREAM_NAME for firehose;
 * CLICKHOUSE_URL (or CLICKHOUSE_SECRET_ID), CLICKHOUSE_DATABASE, CLICKHOUSE_USER,
 * CLICKHOUSE_PASSWORD for clickhouse. Throws
 * ConfigError naming the variable. DUCKDB_PATH has no default on purpose: an
 * in-memory sink silently loses everything when the process ends.
 */
export function readSinkConfig(env: Readonly<Record<string, string | undefined>>): SinkConfig {
  const kind = (env.SINK ?? "duckdb").trim() || "duckdb";
  switch (kind) {
    case "duckdb": {
      const path = env.DUCKDB_PATH?.trim();
      if (!path)
        throw new ConfigError("DUCKDB_PATH", 'required when SINK=duckdb (a database file, or ":memory:")');
      return { kind, path };
    }
    case "firehose": {
      const deliveryStreamName = env.FIREHOSE_STREAM_NAME?.trim();
      if (!deliveryStreamName) throw new ConfigError("FIREHOSE_STREAM_NAME", "required when SINK=firehose");
      if (!STREAM_NAME.test(deliveryStreamName)) {
        throw new ConfigError(
          "FIREHOSE_STREAM_NAME",
          `"${deliveryStreamName}" is not a delivery stream name`,
        );
      }
      return { kind, deliveryStreamName };
    }
    case "clickhouse":
      return readClickHouseConfig(env);
    default:
      throw new ConfigError("SINK", `"${kind}" is not a sink; expected duckdb, firehose or clickhouse`);
  }
}

/**
 * Builds the configured sink. Adapters are imported dynamically so a Lambda
 * bundle loads only the one it uses (DuckDB's native module is never loaded by
 * a firehose deployment, nor the Firehose SDK by a local run).
 */
export async function createSinkFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  deps: CreateSinkDependencies = {},
): Promise<ConfiguredSink> {
  const config = readSinkConfig(env);
  if (config.kind === "duckdb") {
    const { createDuckDbSink } = await import("./duckdbSink.js");
    const sink = await createDuckDbSink({ path: config.path });
    return { ...sink, kind: "duckdb" };
  }
  if (config.kind === "clickhouse") {
    const { createClickHouseSink } = await import("./clickhouseSink.js");
    const connection = await resolveClickHouseConnection(config, deps);
    const sink = await createClickHouseSink(connection);
    return { ...sink, kind: "clickhouse" };
  }
  const { createFirehoseSink } = await import("./firehoseSink.js");
  const client = deps.firehoseClient ?? (await defaultFirehoseClient());
  const sink = createFirehoseSink({ client, deliveryStreamName: config.deliveryStreamName });
  return { ...sink, kind: "firehose" };
}

let firehoseClient: FirehoseClient | undefined;

async function defaultFirehoseClient(): Promise<FirehoseClient> {
  if (firehoseClient === undefined) {
    const { FirehoseClient } = await import("@aws-sdk/client-firehose");
    firehoseClient = new FirehoseClient({});
  }
  return firehoseClient;
}

function readClickHouseConfig(env: Readonly<Record<string, string | undefined>>): ClickHouseSinkConfig {
  const rawDatabase = env.CLICKHOUSE_DATABASE?.trim();
  const database = rawDatabase || "tidemark";
  if (!CLICKHOUSE_DATABASE.test(database)) {
    throw new ConfigError("CLICKHOUSE_DATABASE", `"${database}" is not a database name (letters, digits, _)`);
  }
  const databaseFromEnv = Boolean(rawDatabase);
  const secretId = env.CLICKHOUSE_SECRET_ID?.trim();
  const url = env.CLICKHOUSE_URL?.trim();
  if (secretId && url) {
    throw new ConfigError(
      "CLICKHOUSE_SECRET_ID",
      "give either CLICKHOUSE_SECRET_ID or CLICKHOUSE_URL, not both",
    );
  }
  if (secretId) return { kind: "clickhouse", database, databaseFromEnv, secretId };
  if (!url)
    throw new ConfigError("CLICKHOUSE_URL", "required when SINK=clickhouse (or CLICKHOUSE_SECRET_ID)");
  checkHttpUrl("CLICKHOUSE_URL", url);
  const username = env.CLICKHOUSE_USER?.trim();
  const password = env.CLICKHOUSE_PASSWORD;
  return {
    kind: "clickhouse",
    database,
    databaseFromEnv,
    url,
    ...(username ? { username } : {}),
    ...(password !== undefined && password !== "" ? { password } : {}),
  };
}

function checkHttpUrl(setting: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(setting, `"${url}" is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(setting, `"${url}" is not an http(s) URL of ClickHouse's HTTP interface`);
  }
}

/** The connection settings, reading the secret when configured that way. A bad secret is a ConfigError naming CLICKHOUSE_SECRET_ID. */
async function resolveClickHouseConnection(
  config: ClickHouseSinkConfig,
  deps: CreateSinkDependencies,
): Promise<{ url: string; database: string; username?: string; password?: string }> {
  if (config.secretId === undefined) {
    const { url, database, username, password } = config;
    return { url, database, ...(username ? { username } : {}), ...(password ? { password } : {}) };
  }
  const { GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  const client = deps.secretsClient ?? (await defaultSecretsClient());
  const out = await client.send(new GetSecretValueCommand({ SecretId: config.secretId }));
  let secret: unknown;
  try {
    secret = JSON.parse(out.SecretString ?? "");
  } catch {
    throw new ConfigError("CLICKHOUSE_SECRET_ID", `secret ${config.secretId} is not JSON`);
  }
  const field = (name: string): string | undefined => {
    const v = (secret as Record<string, unknown> | null)?.[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const url = field("url");
  if (url === undefined)
    throw new ConfigError("CLICKHOUSE_SECRET_ID", `secret ${config.secretId} has no "url"`);
  checkHttpUrl("CLICKHOUSE_SECRET_ID", url);
  const database = config.databaseFromEnv ? config.database : (field("database") ?? config.database);
  if (!CLICKHOUSE_DATABASE.test(database)) {
    throw new ConfigError(
      "CLICKHOUSE_SECRET_ID",
      `secret ${config.secretId}: "${database}" is not a database name`,
    );
  }
  const username = field("username");
  const password = field("password");
  return { url, database, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

let secretsClient: SecretsManagerClient | undefined;

async function defaultSecretsClient(): Promise<SecretsManagerClient> {
  if (secretsClient === undefined) {
    const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
    secretsClient = new SecretsManagerClient({});
  }
  return secretsClient;
}
