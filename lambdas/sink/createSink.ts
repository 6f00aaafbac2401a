import type { FirehoseClient } from "@aws-sdk/client-firehose";
import { ConfigError } from "../shared/errors.js";
import type { Sink } from "./Sink.js";

export type SinkKind = "duckdb" | "firehose";

/** A sink chosen by configuration, with the dry-run check the `{"smoke": true}` handler reports. */
export interface ConfiguredSink extends Sink {
  readonly kind: SinkKind;
  /** Checks the store is reachable without writing (DuckDB: schema present; Firehose: stream ACTIVE). */
  check(): Promise<{ ok: boolean; detail: string }>;
}

export type SinkConfig =
  | { readonly kind: "duckdb"; readonly path: string }
  | { readonly kind: "firehose"; readonly deliveryStreamName: string };

export interface CreateSinkDependencies {
  /** Used by the firehose sink; built once per process when absent. */
  readonly firehoseClient?: FirehoseClient;
}

// Firehose delivery stream names: 1–64 of [a-zA-Z0-9_.-].
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/**
 * Reads the sink settings: SINK = duckdb (default) | firehose; DUCKDB_PATH (a
 * file, or ":memory:") for duckdb; FIREHOSE_STREAM_NAME for firehose. Throws
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
    default:
      throw new ConfigError("SINK", `"${kind}" is not a sink; expected duckdb or firehose`);
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
