import {
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchResponseEntry,
} from "@aws-sdk/client-firehose";
import { MessageTooLargeError, SinkUnavailableError } from "../shared/errors.js";
import { rowsOf } from "./rows.js";
import type { Sink, SinkRecord } from "./Sink.js";

/** Data Firehose service limits for PutRecordBatch. */
export const FIREHOSE_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;

export interface CreateFirehoseSinkParameters {
  readonly client: FirehoseClient;
  readonly deliveryStreamName: string;
  /** Attempts for records Firehose reports as failed (FailedPutCount). @default 5 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 3000 */
  readonly maxDelayMs?: number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for `inserted_at`. @default () => new Date() */
  readonly now?: () => Date;
}

export interface FirehoseSink extends Sink {
  /** Dry-run check for the smoke test: the delivery stream exists and is ACTIVE. Writes nothing. */
  check(): Promise<{ ok: boolean; detail: string }>;
}

/** One Firehose record: one row of one table, as a JSON line. */
interface EncodedRow {
  readonly data: Uint8Array;
  readonly observationId: string;
  readonly table: string;
}

/**
 * The AWS-native sink: each row becomes one newline-terminated JSON record with
 * a `table` field (the Iceberg destination routes on it) and the row's columns;
 * bigint columns (gas, fees) are decimal strings so no precision is lost.
 *
 * Firehose itself delivers at least once: a retried call can deliver a row
 * twice. Idempotency by observation comes from the destination's unique keys
 * (Iceberg tables keyed as in rows.ts PRIMARY_KEYS), which every row carries.
 *
 * Whole-call failures (throttling, 5xx) are retried by the SDK client's own
 * retry strategy; this adapter retries only the records a successful call
 * reports as failed, which the SDK does not.
 */
export function createFirehoseSink(params: CreateFirehoseSinkParameters): FirehoseSink {
  const { client, deliveryStreamName } = params;
  const maxAttempts = params.maxAttempts ?? 5;
  const baseDelayMs = params.baseDelayMs ?? 100;
  const maxDelayMs = params.maxDelayMs ?? 3000;
  const sleep = params.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = params.now ?? (() => new Date());
  let closed = false;

  async function putWithRetries(chunk: readonly EncodedRow[]): Promise<void> {
    let pending = chunk;
    let lastErrors: string[] = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let responses: PutRecordBatchResponseEntry[] | undefined;
      let failedCount: number;
      try {
        const out = await client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: deliveryStreamName,
            Records: pending.map((r) => ({ Data: r.data })),
          }),
        );
        responses = out.RequestResponses;
        failedCount = out.FailedPutCount ?? 0;
      } catch (error) {
        throw new SinkUnavailableError(
          `Firehose PutRecordBatch to ${deliveryStreamName} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, context: { deliveryStreamName, records: pending.length } },
        );
      }
      if (failedCount === 0) return;
      // Responses are positional: entry i answers record i. Without them, all must be resent.
      const failed =
        responses?.length === pending.length ? pending.filter((_, i) => responses?.[i]?.ErrorCode) : pending;
      lastErrors = [...new Set((responses ?? []).flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))];
      pending = failed.length > 0 ? failed : pending;
      if (attempt < maxAttempts) await sleep(backoff(attempt));
    }
    throw new SinkUnavailableError(
      `Firehose ${deliveryStreamName}: ${pending.length} record(s) still failing after ${maxAttempts} attempts (${lastErrors.join(", ") || "no error code"})`,
      {
        context: {
          deliveryStreamName,
          failedRecords: pending.length,
          errorCodes: lastErrors,
          observationIds: [...new Set(pending.map((r) => r.observationId))],
        },
      },
    );
  }

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    // Equal jitter: never less than half the ceiling, so retries keep spreading out.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  return {
    async write(records) {
      if (closed)
        throw new SinkUnavailableError("Firehose sink is closed", { context: { deliveryStreamName } });
      // Encode and check every row before sending any, so an oversized record sends nothing.
      const encoded = encodeRows(records, now().toISOString());
      for (const chunk of chunkRows(encoded)) await putWithRetries(chunk);
    },

    async check() {
      try {
        const out = await client.send(
          new DescribeDeliveryStreamCommand({ DeliveryStreamName: deliveryStreamName }),
        );
        const status = out.DeliveryStreamDescription?.DeliveryStreamStatus;
        return { ok: status === "ACTIVE", detail: `Firehose ${deliveryStreamName} is ${String(status)}` };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },

    async close() {
      // The client is injected: its owner destroys it.
      closed = true;
    },
  };
}

const encoder = new TextEncoder();

function encodeRows(records: readonly SinkRecord[], insertedAt: string): EncodedRow[] {
  const out: EncodedRow[] = [];
  for (const record of records) {
    for (const { table, row } of rowsOf(record)) {
      const json = JSON.stringify({ table, ...row, inserted_at: insertedAt }, (_, v) =>
        typeof v === "bigint" ? v.toString() : v,
      );
      const data = encoder.encode(`${json}\n`);
      if (data.byteLength > FIREHOSE_LIMITS.maxRecordBytes) {
        throw new MessageTooLargeError(
          `observation ${record.observationId} (${record.key}): ${table} row is ${data.byteLength} bytes, over Firehose's ${FIREHOSE_LIMITS.maxRecordBytes}-byte record limit`,
          {
            context: {
              observationId: record.observationId,
              eventKey: record.key,
              table,
              bytes: data.byteLength,
            },
          },
        );
      }
      out.push({ data, observationId: record.observationId, table });
    }
  }
  return out;
}

/** Splits rows into PutRecordBatch calls within the record-count and byte limits, keeping order. */
export function chunkRows<T extends { readonly data: Uint8Array }>(rows: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.data.byteLength;
    if (
      current.length > 0 &&
      (current.length === FIREHOSE_LIMITS.maxRecordsPerCall || bytes + size > FIREHOSE_LIMITS.maxBytesPerCall)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
