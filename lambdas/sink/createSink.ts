import type { FirehoseClient } from "@aws-sdk/client-firehose";
import { SinkEnv } from "../shared/environment.js";
import { ConfigError } from "../shared/errors.js";
import { fetchSecretString } from "../shared/fetchSecretString.js";
import { traced } from "../shared/tracing.js";
import type { Sink } from "./Sink.js";
import {
  CLICKHOUSE_DATABASE_NAME,
  type ClickHouseSinkConfig,
  checkClickHouseUrl,
  type SinkConfig,
  type SinkKind,
} from "./sinkConfig.js";

const SECRET_ID = SinkEnv.ClickHouseSecretId;

/** A sink chosen by configuration, naming its kind for the smoke test's report. */
export interface ConfiguredSink extends Sink {
  readonly kind: SinkKind;
}

export interface CreateSinkDependencies {
  /** Used by the firehose sink; built once per process when absent. */
  readonly firehoseClient?: FirehoseClient;
  /** Reads the CLICKHOUSE_SECRET_ID secret. @default fetchSecretString (Secrets Manager, cached) */
  readonly fetchSecret?: (secretId: string) => Promise<string | undefined>;
}

/**
 * Builds the sink `config` names (read once, at cold start, by readSinkConfig). Adapters are imported
 * dynamically so a Lambda bundle loads only the one it uses (DuckDB's native module is never loaded by
 * a firehose deployment, nor the Firehose SDK by a local run).
 */
export async function createSink(
  config: SinkConfig,
  deps: CreateSinkDependencies = {},
): Promise<ConfiguredSink> {
  if (config.kind === "duckdb") {
    const { createDuckDbSink } = await import("./duckdbSink.js");
    const sink = await createDuckDbSink({ path: config.path });
    return { ...sink, kind: "duckdb" };
  }
  return createLambdaSink(config, deps);
}

/**
 * The sinks a Lambda function writes to: firehose and clickhouse. The processor's handler builds its
 * sink here, so its bundle carries no DuckDB adapter (DuckDB keeps one writer per file and is a native
 * module the bundles leave out); SINK=duckdb is refused as a ConfigError naming SINK.
 */
export async function createLambdaSink(
  config: SinkConfig,
  deps: CreateSinkDependencies = {},
): Promise<ConfiguredSink> {
  if (config.kind === "duckdb") {
    throw new ConfigError(
      SinkEnv.Sink,
      "duckdb is for local runs; a Lambda function writes to firehose or clickhouse",
    );
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
    firehoseClient = traced(new FirehoseClient({}));
  }
  return firehoseClient;
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
  const text = await (deps.fetchSecret ?? fetchSecretString)(config.secretId);
  let secret: unknown;
  try {
    secret = JSON.parse(text ?? "");
  } catch {
    throw new ConfigError(SECRET_ID, `secret ${config.secretId} is not JSON`);
  }
  const field = (name: string): string | undefined => {
    const v = (secret as Record<string, unknown> | null)?.[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const url = field("url");
  if (url === undefined) throw new ConfigError(SECRET_ID, `secret ${config.secretId} has no "url"`);
  checkClickHouseUrl(SECRET_ID, url);
  const database = config.databaseFromEnv ? config.database : (field("database") ?? config.database);
  if (!CLICKHOUSE_DATABASE_NAME.test(database)) {
    throw new ConfigError(SECRET_ID, `secret ${config.secretId}: "${database}" is not a database name`);
  }
  const username = field("username");
  const password = field("password");
  return { url, database, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}
