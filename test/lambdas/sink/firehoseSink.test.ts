import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from "@aws-sdk/client-firehose";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  MessageTooLargeError,
  PermanentError,
  SinkUnavailableError,
} from "../../../lambdas/shared/errors.js";
import { createFirehoseSink, FIREHOSE_LIMITS } from "../../../lambdas/sink/firehoseSink.js";
import type { SinkRecord } from "../../../lambdas/sink/Sink.js";
import { at, l2Header, proposed, record } from "../../support/events.js";

const firehose = mockClient(FirehoseClient);
afterEach(() => firehose.reset());

const STREAM = "tidemark-rows";
const decoder = new TextDecoder();

function sinkUnderTest(delays: number[] = [], random?: () => number) {
  return createFirehoseSink({
    client: new FirehoseClient({ region: "eu-west-1" }),
    deliveryStreamName: STREAM,
    ...(random ? { random } : {}),
    sleep: async (ms) => {
      delays.push(ms);
    },
    now: () => new Date("2026-01-02T03:04:05.000Z"),
  });
}

/** Records of the given calls, decoded back from their JSON lines. */
function sentRows(calls: readonly PutRecordBatchCommandInput[]): Record<string, unknown>[] {
  return calls.flatMap((c) => (c.Records ?? []).map((r) => JSON.parse(decoder.decode(r.Data))));
}

const putInputs = () => firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input);
const ok = (n: number) => ({
  FailedPutCount: 0,
  RequestResponses: Array.from({ length: n }, (_, i) => ({ RecordId: `r${i}` })),
});

/** A record whose key is padded to make its row about `bytes` long (rows of real events are ~1 KiB). */
function bulky(n: number, bytes: number): SinkRecord {
  const r = record(l2Header(n));
  return { ...r, key: `${r.key}${"x".repeat(bytes)}` };
}

describe("createFirehoseSink", () => {
  it("sends each row as one JSON line with its table, bigints as decimal strings", async () => {
    // Prepare
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: PutRecordBatchCommandInput) => ok(input.Records?.length ?? 0));
    const r = record(proposed(3, at(9), { lastBlockId: 11, blockCount: 2 }));
    const h = record(l2Header(1, { gasUsed: String(2 ** 40), baseFeePerGas: String(2 ** 40) }));
    // Act
    await sinkUnderTest().write([r, h]);
    // Assess
    const calls = putInputs();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.DeliveryStreamName).toBe(STREAM);
    for (const rec of calls[0]?.Records ?? []) expect(decoder.decode(rec.Data).endsWith("}\n")).toBe(true);
    const rows = sentRows(calls);
    expect(rows.map((x) => [x.table, x.l2_block_number ?? null])).toEqual([
      ["batches", null],
      ["batch_blocks", 10],
      ["batch_blocks", 11],
      ["l2_head_events", 1],
    ]);
    expect(rows[0]).toMatchObject({ batch_id: 3, observation_id: r.observationId, event_key: r.key });
    expect(rows[3]).toMatchObject({
      sum_base_fee: (2n ** 80n).toString(),
      inserted_at: "2026-01-02T03:04:05.000Z",
    });
  });

  it("splits at 500 records per call", async () => {
    // Prepare: 1201 headers → 1201 rows
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: PutRecordBatchCommandInput) => ok(input.Records?.length ?? 0));
    const records = Array.from({ length: 1201 }, (_, i) => record(l2Header(i + 1)));
    // Act
    await sinkUnderTest().write(records);
    // Assess
    const calls = putInputs();
    expect(calls.map((c) => c.Records?.length)).toEqual([500, 500, 201]);
    expect(sentRows(calls).map((x) => x.l2_block_number)).toEqual(records.map((_, i) => i + 1));
  });

  it("splits at 4 MiB per call", async () => {
    // Prepare: 30 rows of ~300 KB = ~9 MB, so 13 fit under 4 MiB per call
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: PutRecordBatchCommandInput) => ok(input.Records?.length ?? 0));
    const records = Array.from({ length: 30 }, (_, i) => bulky(i + 1, 300_000));
    // Act
    await sinkUnderTest().write(records);
    // Assess
    const calls = putInputs();
    const sizes = calls.map((c) => (c.Records ?? []).reduce((s, r) => s + (r.Data?.byteLength ?? 0), 0));
    expect(calls.map((c) => c.Records?.length)).toEqual([13, 13, 4]);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
    expect(sentRows(calls)).toHaveLength(30);
  });

  it("retries only the records Firehose reports as failed, with growing backoff", async () => {
    // Prepare: first call fails records 1 and 3 of 4; the retry fails record 3 again; then success
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 2,
        RequestResponses: [
          { RecordId: "a" },
          { ErrorCode: "ServiceUnavailableException", ErrorMessage: "slow down" },
          { RecordId: "c" },
          { ErrorCode: "InternalFailure", ErrorMessage: "oops" },
        ],
      })
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: "b" }, { ErrorCode: "InternalFailure" }],
      })
      .resolves(ok(1));
    const records = [1, 2, 3, 4].map((n) => record(l2Header(n)));
    const delays: number[] = [];
    // Act: the jitter draw at its top, so each delay is its retry's ceiling
    await sinkUnderTest(delays, () => 1).write(records);
    // Assess
    const calls = putInputs();
    expect(sentRows(calls).map((x) => x.l2_block_number)).toEqual([1, 2, 3, 4, 2, 4, 4]);
    // Full jitter under a ceiling that doubles per retry from the 100 ms default.
    expect(delays).toEqual([100, 200]);
  });

  it("gives up with SinkUnavailableError naming the failing observations when retries are exhausted", async () => {
    // Prepare
    firehose.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => ({
      FailedPutCount: input.Records?.length,
      RequestResponses: (input.Records ?? []).map(() => ({ ErrorCode: "ServiceUnavailableException" })),
    }));
    const r = record(l2Header(1));
    // Act
    const write = sinkUnderTest().write([r]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(SinkUnavailableError);
    await expect(write).rejects.toMatchObject({
      retryable: true,
      context: {
        failedRecords: 1,
        errorCodes: ["ServiceUnavailableException"],
        observationIds: [r.observationId],
      },
    });
    expect(putInputs()).toHaveLength(5);
  });

  it("turns a failed call into SinkUnavailableError", async () => {
    firehose.on(PutRecordBatchCommand).rejects(new Error("ResourceNotFoundException: no such stream"));
    await expect(sinkUnderTest().write([record(l2Header(1))])).rejects.toBeInstanceOf(SinkUnavailableError);
  });

  it("rejects an oversized record with a permanent error naming its observation, sending nothing", async () => {
    // Prepare
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: PutRecordBatchCommandInput) => ok(input.Records?.length ?? 0));
    const big = bulky(2, FIREHOSE_LIMITS.maxRecordBytes);
    // Act
    const write = sinkUnderTest().write([record(l2Header(1)), big]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(write).rejects.toBeInstanceOf(PermanentError);
    await expect(write).rejects.toThrow(big.observationId);
    expect(putInputs()).toHaveLength(0);
  });

  it("reports the delivery stream status as its health", async () => {
    firehose
      .on(DescribeDeliveryStreamCommand)
      .resolves({ DeliveryStreamDescription: { DeliveryStreamStatus: "ACTIVE" } as never });
    expect(await sinkUnderTest().health()).toEqual({
      ok: true,
      detail: `Firehose ${STREAM} is ACTIVE`,
      ms: expect.any(Number),
    });
  });

  it("refuses writes after close", async () => {
    const s = sinkUnderTest();
    await s.close();
    await expect(s.write([record(l2Header(1))])).rejects.toBeInstanceOf(SinkUnavailableError);
  });
});
