import { ConfigError } from "../shared/errors.js";
import { readSinkConfig, type SinkConfig } from "../sink/createSink.js";

export type { SinkConfig };

export interface ProcessorConfig {
  /** IDEMPOTENCY_TABLE: partition key `id` = observationId, TTL attribute `ttl`. */
  readonly idempotencyTable: string;
  /** STATE_TABLE: partition key `pk`; the processor writes `batch#<batchId>` lifecycle items. */
  readonly stateTable: string;
  /** DLQ_URL: the FIFO dead-letter queue poison messages are sent to with their reason. */
  readonly dlqUrl: string;
  /**
   * CLAIM_TIMEOUT_SECONDS: lease of a claim. Must exceed the function timeout (a live claim must not
   * expire mid-flight) and should stay below the queue's visibility timeout (so a crashed worker's
   * records are retaken on their first redelivery). @default 120
   */
  readonly claimTimeoutSeconds: number;
  /** IDEMPOTENCY_TTL_DAYS: how long a completed observation is remembered. @default 30 */
  readonly idempotencyTtlDays: number;
  /** SINK and its settings (DUCKDB_PATH, FIREHOSE_STREAM_NAME, ...), parsed by the sink module itself. */
  readonly sink: SinkConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Read and validate the processor settings once, at cold start. Throws ConfigError naming the variable. */
export function loadProcessorConfig(env: Env = process.env): ProcessorConfig {
  return {
    idempotencyTable: tableName(env, "IDEMPOTENCY_TABLE"),
    stateTable: tableName(env, "STATE_TABLE"),
    dlqUrl: httpUrl(env, "DLQ_URL"),
    claimTimeoutSeconds: positiveInt(env, "CLAIM_TIMEOUT_SECONDS", 120),
    idempotencyTtlDays: positiveInt(env, "IDEMPOTENCY_TTL_DAYS", 30),
    sink: readSinkConfig(env),
  };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, "is required");
  return value;
}

function tableName(env: Env, name: string): string {
  const value = required(env, name);
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(value)) {
    throw new ConfigError(name, `"${value}" is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)`);
  }
  return value;
}

function httpUrl(env: Env, name: string): string {
  const value = required(env, name);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(name, `expected an http(s) URL, got "${value}"`);
  }
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ConfigError(name, `expected a positive integer, got "${value}"`);
  }
  return Number(value);
}
