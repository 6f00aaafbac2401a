import { ProcessorEnv } from "../shared/environment.js";
import {
  type Env,
  httpUrlSetting,
  positiveIntSetting,
  readSetting,
  tableNameSetting,
} from "../shared/readConfig.js";
import { readSinkConfig, type SinkConfig } from "../sink/sinkConfig.js";

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
  /** SINK and its settings (DUCKDB_PATH, FIREHOSE_STREAM_NAME, ...); the sink is built from this. */
  readonly sink: SinkConfig;
}

/** Read and validate the processor settings once, at cold start. Throws ConfigError naming the variable. */
export function loadProcessorConfig(env: Env = process.env): ProcessorConfig {
  return {
    idempotencyTable: readSetting(env, ProcessorEnv.IdempotencyTable, tableNameSetting()),
    stateTable: readSetting(env, ProcessorEnv.StateTable, tableNameSetting()),
    dlqUrl: readSetting(env, ProcessorEnv.DlqUrl, httpUrlSetting()),
    claimTimeoutSeconds: readSetting(env, ProcessorEnv.ClaimTimeoutSeconds, positiveIntSetting(120)),
    idempotencyTtlDays: readSetting(env, ProcessorEnv.IdempotencyTtlDays, positiveIntSetting(30)),
    sink: readSinkConfig(env),
  };
}
