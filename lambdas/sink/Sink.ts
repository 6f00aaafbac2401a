import type { PipelineEvent } from "../shared/events.js";

/** One event to store, with the identities the sink deduplicates by. */
export interface SinkRecord {
  readonly event: PipelineEvent;
  readonly key: string;
  readonly observationId: string;
}

/** A sink's answer to "can you take writes?", without writing: what the smoke test and `tidemark health` report. */
export interface SinkHealth {
  readonly ok: boolean;
  /** What was found (schema version, stream status) or why it failed. */
  readonly detail: string;
  /** How long the probe took, in milliseconds. */
  readonly ms: number;
}

/** The columnar store port: every adapter (duckdb, clickhouse, firehose) implements it. */
export interface Sink {
  /** Writes the rows of these records; idempotent by observation; resolves only when durable. Throws SinkUnavailableError (retryable) on failure. */
  write(records: readonly SinkRecord[]): Promise<void>;
  /** Checks the store is reachable and ready, writing nothing. Never throws: a failure is `ok: false`. */
  health(): Promise<SinkHealth>;
  close(): Promise<void>;
}

/** Times `probe` into a SinkHealth; a thrown error is an unhealthy answer carrying its message. */
export async function measureHealth(
  probe: () => Promise<{ readonly ok: boolean; readonly detail: string }>,
): Promise<SinkHealth> {
  const started = performance.now();
  let answer: { readonly ok: boolean; readonly detail: string };
  try {
    answer = await probe();
  } catch (error) {
    answer = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  return { ok: answer.ok, detail: answer.detail, ms: Math.round(performance.now() - started) };
}
