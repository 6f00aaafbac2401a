import {
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchResponseEntry,
} from "@aws-sdk/client-firehose";
import { chunk } from "../shared/chunk.js";
import { MessageTooLargeError, SinkUnavailableError } from "../shared/errors.js";
import { withRetry } from "../shared/retry.js";
import { rowsOf } from "./rows.js";
import { measureHealth, type Sink, type SinkRecord } from "./Sink.js";

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
  /** Ceiling of the first retry's delay; doubles per retry, full jitter (lambdas/shared/retry.ts). @default 100 */
  readonly baseDelayMs?: number;
  /** @default 3000 */
  readonly maxDelayMs?: number;
  /** @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** The jitter's draw in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Clock for `inserted_at`. @default () => new Date() */
  readonly now?: () => Date;
}

export type FirehoseSink = Sink;

/** One Firehose record: one row of one table, as a JSON line. */
export interface FirehoseRow {
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
  const writeRows = createFirehoseRowWriter(params);
  const now = params.now ?? (() => new Date());
  let closed = false;

  return {
    async write(records) {
      if (closed)
        throw new SinkUnavailableError("Firehose sink is closed", { context: { deliveryStreamName } });
      // Encode and check every row before sending any, so an oversized record sends nothing.
      await writeRows(encodeRows(records, now().toISOString()));
    },

    // The delivery stream exists and is ACTIVE.
    health: () =>
      measureHealth(async () => {
        const out = await client.send(
          new DescribeDeliveryStreamCommand({ DeliveryStreamName: deliveryStreamName }),
        );
        const status = out.DeliveryStreamDescription?.DeliveryStreamStatus;
        return { ok: status === "ACTIVE", detail: `Firehose ${deliveryStreamName} is ${String(status)}` };
      }),

    async close() {
      // The client is injected: its owner destroys it.
      closed = true;
    },
  };
}

/**
 * Puts encoded rows to the stream in calls within Firehose's limits, retrying the records a call
 * reports as failed; resolves when Firehose accepted every row. The sink and `tidemark sink replay`
 * (rows re-driven from the error prefix) both write through it.
 */
export function createFirehoseRowWriter(
  params: Omit<CreateFirehoseSinkParameters, "now">,
): (rows: readonly FirehoseRow[]) => Promise<void> {
  const { client, deliveryStreamName } = params;
  const policy = {
    attempts: params.maxAttempts ?? 5,
    baseDelayMs: params.baseDelayMs ?? 100,
    maxDelayMs: params.maxDelayMs ?? 3000,
    // Only records a successful call reported as failed are retried here; whole calls are the SDK's.
    retryable: (error: unknown) => error instanceof PartialPutFailure,
    ...(params.sleep ? { sleep: params.sleep } : {}),
    ...(params.random ? { random: params.random } : {}),
  };

  async function putWithRetries(rows: readonly FirehoseRow[]): Promise<void> {
    let pending = rows;
    try {
      await withRetry(async () => {
        try {
          await putOnce(client, deliveryStreamName, pending);
        } catch (error) {
          if (error instanceof PartialPutFailure) pending = error.failed;
          throw error;
        }
      }, policy);
    } catch (error) {
      if (!(error instanceof PartialPutFailure)) throw error;
      throw new SinkUnavailableError(
        `Firehose ${deliveryStreamName}: ${error.failed.length} record(s) still failing after ${policy.attempts} attempts (${error.errorCodes.join(", ") || "no error code"})`,
        {
          context: {
            deliveryStreamName,
            failedRecords: error.failed.length,
            errorCodes: error.errorCodes,
            observationIds: [...new Set(error.failed.map((r) => r.observationId))],
          },
        },
      );
    }
  }

  return async (rows) => {
    for (const part of chunkRows(rows)) await putWithRetries(part);
  };
}

/** Some records of a successful PutRecordBatch were refused: the ones to send again. */
class PartialPutFailure extends Error {
  constructor(
    readonly failed: readonly FirehoseRow[],
    readonly errorCodes: readonly string[],
  ) {
    super(`${failed.length} record(s) refused`);
    this.name = "PartialPutFailure";
  }
}

/** One PutRecordBatch; resolves when every record was accepted, else throws PartialPutFailure with the rest. */
async function putOnce(
  client: FirehoseClient,
  deliveryStreamName: string,
  pending: readonly FirehoseRow[],
): Promise<void> {
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
  const errorCodes = [...new Set((responses ?? []).flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))];
  throw new PartialPutFailure(failed.length > 0 ? failed : pending, errorCodes);
}

const encoder = new TextEncoder();

function encodeRows(records: readonly SinkRecord[], insertedAt: string): FirehoseRow[] {
  const out: FirehoseRow[] = [];
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
  return chunk(rows, {
    maxItems: FIREHOSE_LIMITS.maxRecordsPerCall,
    maxBytes: FIREHOSE_LIMITS.maxBytesPerCall,
    sizeOf: (row) => row.data.byteLength,
  });
}
