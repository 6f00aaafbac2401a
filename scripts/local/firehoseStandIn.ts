import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeFirehoseRow } from "../../lambdas/sink/decodeFirehoseRow.js";
import type { DuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import { FIREHOSE_ERROR_PREFIX } from "../../lambdas/sink/firehoseErrorRecords.js";
import type { ColumnValue, TableName } from "../../lambdas/sink/rows.js";

/** Where delivered rows go: the stand-in's "Iceberg" (a DuckDB sink's writeRows, say). */
export type FirehoseDestination = (lines: readonly string[]) => Promise<void>;

/** A destination that writes the rows into DuckDB's tables, as the Iceberg tables would hold them. */
export const intoDuckDb =
  (duckdb: () => DuckDbSink | undefined): FirehoseDestination =>
  async (lines) => {
    const target = duckdb();
    if (target === undefined) throw new Error("the Firehose stand-in has no destination yet");
    const byTable = new Map<TableName, Record<string, ColumnValue>[]>();
    for (const line of lines) {
      const { table, row } = decodeFirehoseRow(line);
      byTable.set(table, [...(byTable.get(table) ?? []), row]);
    }
    await target.writeRows(byTable);
  };

export interface StartFirehoseStandInParameters {
  /** Receives the JSON lines of each delivered buffer. */
  readonly deliver: FirehoseDestination;
  /** The local object store's root: failed deliveries land under `<dir>/firehose-errors/`. */
  readonly errorsDir: string;
  /** Whether the next buffer's delivery fails (decided per buffer, at delivery). @default never */
  readonly failDelivery?: () => boolean;
  /** The stream it answers for. @default "tidemark-sink" */
  readonly deliveryStreamName?: string;
  /** Buffers are delivered this often, as Firehose's buffering interval; 0 delivers only on flush(). @default 200 */
  readonly bufferIntervalMs?: number;
}

export interface FirehoseStandIn {
  /** The endpoint for a FirehoseClient (`endpoint`). */
  readonly url: string;
  readonly deliveryStreamName: string;
  /** Records accepted, buffers delivered, buffers (and rows) that failed into the error prefix. */
  readonly stats: { accepted: number; delivered: number; failedBuffers: number; failedRows: number };
  /** Delivers everything accepted so far (or fails it into the error prefix). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const TARGET_PREFIX = "Firehose_20150804.";

/**
 * A Data Firehose stand-in on 127.0.0.1 that behaves as the real one does at the edge that matters
 * to exactly-once: PutRecordBatch *accepts* records (the SDK's answer says so), and delivery happens
 * later, apart from the call. A delivery that fails writes the buffer's records under
 * `firehose-errors/<table>/yyyy/MM/dd/` in Firehose's error-record format (JSON lines with base64
 * `rawData`, gzipped as the stream's S3 configuration asks), which is what `tidemark sink replay`
 * re-drives. Speaks the JSON 1.1 protocol of @aws-sdk/client-firehose for PutRecordBatch, PutRecord
 * and DescribeDeliveryStream.
 */
export async function startFirehoseStandIn(p: StartFirehoseStandInParameters): Promise<FirehoseStandIn> {
  const deliveryStreamName = p.deliveryStreamName ?? "tidemark-sink";
  const stats = { accepted: 0, delivered: 0, failedBuffers: 0, failedRows: 0 };
  let buffer: { data: Buffer; arrivedAt: number }[] = [];
  let delivering: Promise<void> = Promise.resolve();

  const deliverBuffer = async (records: { data: Buffer; arrivedAt: number }[]) => {
    if (records.length === 0) return;
    if (p.failDelivery?.()) {
      await landInErrorPrefix(p.errorsDir, records);
      stats.failedBuffers++;
      stats.failedRows += records.length;
      return;
    }
    await p.deliver(records.map((r) => r.data.toString("utf8").trimEnd()));
    stats.delivered += records.length;
  };
  const flush = () => {
    const taken = buffer;
    buffer = [];
    // Deliveries are serialized: a buffer is delivered whole, after the one before it.
    delivering = delivering.then(() => deliverBuffer(taken));
    return delivering;
  };

  const server = createServer((req, res) => {
    handle(req, res, deliveryStreamName, (records) => {
      stats.accepted += records.length;
      const arrivedAt = Date.now();
      for (const data of records) buffer.push({ data, arrivedAt });
    }).catch((error) => answer(res, 500, { __type: "ServiceUnavailableException", message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const interval = p.bufferIntervalMs ?? 200;
  const timer = interval > 0 ? setInterval(() => void flush().catch(() => undefined), interval) : undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    deliveryStreamName,
    stats,
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      await flush().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  streamName: string,
  accept: (records: Buffer[]) => void,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
  const action = String(req.headers["x-amz-target"] ?? "").replace(TARGET_PREFIX, "");
  if (body.DeliveryStreamName !== streamName) {
    return answer(res, 400, {
      __type: "ResourceNotFoundException",
      message: `Firehose ${String(body.DeliveryStreamName)} not found`,
    });
  }
  if (action === "DescribeDeliveryStream") {
    return answer(res, 200, {
      DeliveryStreamDescription: {
        DeliveryStreamName: streamName,
        DeliveryStreamARN: `arn:aws:firehose:us-east-1:000000000000:deliverystream/${streamName}`,
        DeliveryStreamStatus: "ACTIVE",
        DeliveryStreamType: "DirectPut",
        VersionId: "1",
        Destinations: [],
        HasMoreDestinations: false,
      },
    });
  }
  const records =
    action === "PutRecord"
      ? [(body.Record as { Data: string }).Data]
      : ((body.Records as { Data: string }[] | undefined) ?? []).map((r) => r.Data);
  if (action !== "PutRecord" && action !== "PutRecordBatch") {
    return answer(res, 400, { __type: "InvalidArgumentException", message: `unsupported ${action}` });
  }
  accept(records.map((data) => Buffer.from(data, "base64")));
  if (action === "PutRecord") return answer(res, 200, { RecordId: randomUUID(), Encrypted: false });
  return answer(res, 200, {
    FailedPutCount: 0,
    Encrypted: false,
    RequestResponses: records.map(() => ({ RecordId: randomUUID() })),
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  res.end(JSON.stringify(body));
}

/** One gzipped object of error records per table, as Firehose writes them (written, then renamed into place). */
async function landInErrorPrefix(dir: string, records: { data: Buffer; arrivedAt: number }[]): Promise<void> {
  const byTable = new Map<string, string[]>();
  const now = new Date();
  for (const r of records) {
    const table = tableOf(r.data);
    const line = JSON.stringify({
      attemptsMade: 4,
      arrivalTimestamp: r.arrivedAt,
      errorCode: "Iceberg.CommitFailed",
      errorMessage: "stand-in: delivery to the Iceberg table failed after the retry duration",
      attemptEndingTimestamp: now.getTime(),
      rawData: r.data.toString("base64"),
    });
    byTable.set(table, [...(byTable.get(table) ?? []), line]);
  }
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  for (const [table, lines] of byTable) {
    const key = `${FIREHOSE_ERROR_PREFIX}${table}/${day}/stand-in-${now.getTime()}-${randomUUID()}.gz`;
    const file = join(dir, key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, gzipSync(`${lines.join("\n")}\n`));
    await rename(`${file}.tmp`, file);
  }
}

function tableOf(data: Buffer): string {
  try {
    const table = (JSON.parse(data.toString("utf8")) as { table?: unknown }).table;
    return typeof table === "string" && /^[a-z0-9_]+$/.test(table) ? table : "unknown";
  } catch {
    return "unknown";
  }
}
