import type { Metrics } from "@aws-lambda-powertools/metrics";
import type {
  BatchExecuteStatementCommandInput,
  BatchStatementResponse,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { Context, SQSRecord } from "aws-lambda";
import { loadProcessorConfig, type ProcessorConfig } from "../../../lambdas/processor/config.js";
import type { ProcessorLogger, ProcessorMetrics } from "../../../lambdas/processor/processBatch.js";
import { SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import type {
  BatchProposedEvent,
  ForcedInclusionProcessedEvent,
  L1Location,
  L2HeaderEvent,
  PipelineEvent,
} from "../../../lambdas/shared/events.js";
import { messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { ChainMetricRetracted, type ItemChainMetric } from "../../../lambdas/shared/metricNames.js";
import type { Sink, SinkHealth, SinkRecord } from "../../../lambdas/sink/Sink.js";
import * as events from "../../support/events.js";

export const DLQ_URL = "http://127.0.0.1:9324/000000000000/tidemark-events-dlq.fifo";

/** A config as the handler would load it from the environment. */
export function testConfig(env: Record<string, string> = {}): ProcessorConfig {
  return loadProcessorConfig({
    IDEMPOTENCY_TABLE: "tidemark-idempotency",
    STATE_TABLE: "tidemark-state",
    DLQ_URL,
    SINK: "duckdb",
    DUCKDB_PATH: ":memory:",
    ...env,
  });
}

// ── Event factories: test/support's, with this suite's defaults ─────────────────────────────────

export { at, hash, l1Header, proved, verified } from "../../support/events.js";

/** An L2 header shaped like the L1 one (this suite's fixtures predate distinct L2 values). */
export function l2Header(n: number): L2HeaderEvent {
  return events.l2Header(n, {
    timestamp: 1_700_000_000 + n * 12,
    gasUsed: "15000000",
    gasLimit: "30000000",
    baseFeePerGas: "1000000000",
    txCount: 100,
    miner: events.address(1),
  });
}

export function proposed(batchId: number, l1: L1Location = events.at(100 + batchId)): BatchProposedEvent {
  return events.proposed(batchId, l1, {
    proposedIn: l1.blockNumber - 1,
    anchorBlockId: l1.blockNumber - 2,
  });
}

export function forcedInclusion(
  createdAtBatchId: number,
  l1: L1Location = events.at(400 + createdAtBatchId),
): ForcedInclusionProcessedEvent {
  return events.forcedInclusion(String(createdAtBatchId), l1, { feeInGwei: "1000", createdAtBatchId });
}

// ── SQS records ────────────────────────────────────────────────────────────────────────────────

let nextMessageId = 0;

export interface RecordOptions {
  /** @default messageGroupId(event, 16), or "poison:0" for a raw body */
  readonly group?: string;
  readonly messageId?: string;
  /** @default observationId(event); `null` for none (a standard queue). */
  readonly dedupId?: string | null;
}

/** The record the Lambda SQS event source would deliver for a published event. */
export function sqsRecord(event: PipelineEvent, options: RecordOptions = {}): SQSRecord {
  return rawRecord(JSON.stringify(event), {
    group: options.group ?? messageGroupId(event, 16),
    dedupId: options.dedupId === undefined ? observationId(event) : options.dedupId,
    ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
  });
}

/** A record with any body, e.g. poison. */
export function rawRecord(body: string, options: RecordOptions = {}): SQSRecord {
  const messageId = options.messageId ?? `msg-${++nextMessageId}`;
  const dedupId = options.dedupId === undefined ? messageId : options.dedupId;
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1700000000000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1700000000001",
      SequenceNumber: String(nextMessageId),
      MessageGroupId: options.group ?? "poison:0",
      ...(dedupId === null ? {} : { MessageDeduplicationId: dedupId }),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:tidemark-events.fifo",
    awsRegion: "us-east-1",
  };
}

/** A Lambda context as the runtime passes it (30 s left: shorter than the default claim lease). */
export function lambdaContext(awsRequestId = "req-1"): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "tidemark-processor",
    functionVersion: "1",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:tidemark-processor:live",
    memoryLimitInMB: "512",
    awsRequestId,
    logGroupName: "/aws/lambda/tidemark-processor",
    logStreamName: "stream",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }): string[] =>
  response.batchItemFailures.map((f) => f.itemIdentifier);

// ── Test doubles for the processor's other dependencies ───────────────────────────────────────

/** An in-memory Sink, idempotent by observation like the real adapters, that fails on demand. */
export class MemorySink implements Sink {
  readonly rows = new Map<string, SinkRecord>();
  /** Every write call, in order, as the observation ids it carried. */
  readonly writes: string[][] = [];
  private failures: Error[] = [];
  private rejects = new Map<string, Error>();

  /** The next write(s) throw these errors, one per call. */
  failNext(...errors: Error[]): this {
    this.failures.push(...(errors.length > 0 ? errors : [new SinkUnavailableError("sink is down")]));
    return this;
  }

  /** Any write carrying this observation throws `error` (bad input the sink can never store). */
  reject(observation: string, error: Error): this {
    this.rejects.set(observation, error);
    return this;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.writes.push(records.map((r) => r.observationId));
    const failure = this.failures.shift();
    if (failure) throw failure;
    const rejected = records.find((r) => this.rejects.has(r.observationId));
    if (rejected) throw this.rejects.get(rejected.observationId);
    for (const r of records) this.rows.set(r.observationId, r);
  }

  async health(): Promise<SinkHealth> {
    return { ok: true, detail: "memory sink", ms: 0 };
  }

  async close(): Promise<void> {}

  /** Keys of the stored rows. */
  keys(): string[] {
    return [...this.rows.values()].map((r) => r.key).sort();
  }
}

/** Metrics that remember every value added, by name. */
export function recordingMetrics(): ProcessorMetrics & { total(name: string): number } {
  const values = new Map<string, number[]>();
  return {
    addMetric(name: string, _unit: unknown, value: number) {
      values.set(name, [...(values.get(name) ?? []), value]);
    },
    total: (name: string) => (values.get(name) ?? []).reduce((a, b) => a + b, 0),
  } as ProcessorMetrics & { total(name: string): number };
}

export const silentLogger: ProcessorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as ProcessorLogger;

/**
 * Count the round trips a client makes: commands sent while others are in flight share one (the
 * latency the processor pays); the SDK's own retries are not counted.
 */
export function countRoundTrips(client: DynamoDBClient): { count(): number; reset(): void; stop(): void } {
  let count = 0;
  let inFlight = 0;
  const name = `countRoundTrips-${++counters}`;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (inFlight === 0) count++;
      inFlight++;
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: "initialize", name },
  );
  return {
    count: () => count,
    reset: () => {
      count = 0;
    },
    stop: () => {
      client.middlewareStack.remove(name);
    },
  };
}
let counters = 0;

// ── Faking BatchExecuteStatement at the SDK boundary ──────────────────────────────────────────

export type StatementKind = "claim" | "read" | "retake" | "complete" | "release";

export interface FakeStatement {
  readonly kind: StatementKind;
  readonly id: string;
}

/** What the idempotency store's PartiQL statement is, and which observation it names. */
export function readStatement(statement: {
  Statement?: string;
  Parameters?: { S?: string }[];
}): FakeStatement {
  const text = statement.Statement ?? "";
  const p = statement.Parameters ?? [];
  if (text.startsWith("INSERT")) return { kind: "claim", id: p[0]?.S ?? "" };
  if (text.startsWith("SELECT")) return { kind: "read", id: p[0]?.S ?? "" };
  if (text.startsWith("DELETE")) return { kind: "release", id: p[0]?.S ?? "" };
  if (text.includes("REMOVE")) return { kind: "complete", id: p[2]?.S ?? "" };
  return { kind: "retake", id: p[5]?.S ?? "" };
}

/** A BatchExecuteStatement fake answering each statement with `respond` (default: success). */
export function statementResponder(
  respond: (s: FakeStatement) => BatchStatementResponse | undefined = () => undefined,
) {
  return (input: BatchExecuteStatementCommandInput) => ({
    Responses: (input.Statements ?? []).map(
      (s) => respond(readStatement(s)) ?? { TableName: "tidemark-idempotency" },
    ),
  });
}

/** The item DynamoDB returns with a failed condition (ALL_OLD). */
export function existingItem(id: string, status: "IN_PROGRESS" | "COMPLETED", claimExpiresAt = 0) {
  return {
    id: { S: id },
    status: { S: status },
    owner: { S: "someone-else" },
    eventKey: { S: "k" },
    claimExpiresAt: { N: String(claimExpiresAt) },
  };
}

// ── Chain metrics as CloudWatch would hold them ───────────────────────────────────────────────────

export type ChainMetricRecorder = Pick<Metrics, "addMetric"> & {
  /** Every value added under `name`, in order. */
  values(name: string): number[];
  /** The same, ascending: items are written in parallel, so their samples come in any order. */
  sorted(name: string): number[];
  /** A chain metric net of its retractions (ChainMetricRetracted), ascending; throws on a retraction never emitted. */
  net(name: ItemChainMetric): number[];
};

/** Metrics that keep every sample, in order, by name. */
export function chainMetricRecorder(): ChainMetricRecorder {
  const samples: { name: string; value: number }[] = [];
  const values = (name: string) => samples.filter((s) => s.name === name).map((s) => s.value);
  const sorted = (name: string) => values(name).sort((a, b) => a - b);
  const net = (name: ItemChainMetric) => {
    const left = values(name);
    for (const r of values(ChainMetricRetracted[name])) {
      const i = left.indexOf(r);
      if (i < 0) throw new Error(`${name}: ${r} retracted but never emitted`);
      left.splice(i, 1);
    }
    return left.sort((a, b) => a - b);
  };
  const addMetric = (name: string, _unit: unknown, value: number) => void samples.push({ name, value });
  return { addMetric, values, sorted, net } as unknown as ChainMetricRecorder;
}
