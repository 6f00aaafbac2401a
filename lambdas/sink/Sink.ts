import type { PipelineEvent } from "../shared/events.js";

/** One event to store, with the identities the sink deduplicates by. */
export interface SinkRecord {
  readonly event: PipelineEvent;
  readonly key: string;
  readonly observationId: string;
}

/** The columnar store port: every adapter (duckdb, clickhouse, firehose) implements it. */
export interface Sink {
  /** Writes the rows of these records; idempotent by observation; resolves only when durable. Throws SinkUnavailableError (retryable) on failure. */
  write(records: readonly SinkRecord[]): Promise<void>;
  close(): Promise<void>;
}
