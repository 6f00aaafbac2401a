import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loadProcessorConfig } from "../lambdas/processor/config.js";
import { createProcessorHandler } from "../lambdas/processor/createProcessorHandler.js";
import { ProcessorEnv, SinkEnv } from "../lambdas/shared/environment.js";
import { ProcessorMetric } from "../lambdas/shared/metricNames.js";
import { ServiceName } from "../lambdas/shared/serviceNames.js";
import { createDuckDbSink, type DuckDbSink } from "../lambdas/sink/duckdbSink.js";
import type { Sink } from "../lambdas/sink/Sink.js";
import { startDynamoDbLocal } from "../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../scripts/local/localAwsConfig.js";
import { provisionTables } from "../scripts/local/provision.js";
import { lambdaContext } from "../scripts/pipeline/lambdaContext.js";
import { benchMetrics, silentLogger } from "./benchContext.js";
import {
  createDdbAccounting,
  type DdbAccounting,
  type DdbSnapshot,
  instrumentDdbClient,
} from "./ddbAccounting.js";
import { createPowertoolsBaseline } from "./powertoolsBaseline.js";
import { type Figure, figure, percentile, ratio, renderTable, showFigure, sortedCopy } from "./stats.js";
import { redeliver, syntheticBatches } from "./syntheticRecords.js";

export type ProcessorVariant = "tidemark" | "powertools";
export type ProcessorPhase = "new" | "replay";

export interface ProcessorBenchOptions {
  readonly runs: number;
  /** SQS batches (of 10) per measured phase. */
  readonly batches: number;
  readonly concurrencies: readonly number[];
  readonly log: (line: string) => void;
}

/** One measured phase of one variant in one run. */
interface PhaseSample {
  readonly recordsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly cpuUsPerRecord: number;
  /** Time waiting for DynamoDB and inside sink writes, per batch (they bound the latency). */
  readonly ddbMsPerBatch: number;
  readonly sinkMsPerBatch: number;
  readonly ddb: DdbSnapshot;
  readonly recordsSent: number;
  readonly recordsAcknowledged: number;
  readonly recordsFailed: number;
  /** Tidemark only: the handler's own count of processed + duplicates (Powertools keeps none). */
  readonly handlerCounted: number | undefined;
}

export interface ProcessorCell {
  readonly variant: ProcessorVariant;
  readonly phase: ProcessorPhase;
  readonly concurrency: number;
  readonly recordsPerSecond: Figure;
  readonly batchLatencyP50Ms: Figure;
  readonly batchLatencyP95Ms: Figure;
  readonly cpuUsPerRecord: Figure;
  readonly ddbMsPerBatch: Figure;
  readonly sinkMsPerBatch: Figure;
  readonly ddbRequestsPerRecord: Figure;
  readonly ddbRequestsPerBatch: Figure;
  readonly ddbRequestsPerRecordByCommand: Record<string, number>;
  readonly writeUnitsPerRecord: Figure;
  readonly readUnitsPerRecord: Figure;
  /** What DynamoDB Local reported through ReturnConsumedCapacity (it does so for single-item commands only). */
  readonly reportedWriteUnitsPerRecord: Figure;
  readonly accounting: {
    readonly recordsSent: number;
    readonly recordsAcknowledged: number;
    readonly recordsFailed: number;
    readonly handlerCounted: number | undefined;
  };
}

export interface ProcessorBenchResult {
  readonly cells: readonly ProcessorCell[];
  readonly sink: { readonly rowsExpected: number; readonly rowsFound: number };
  readonly goals: readonly Goal[];
  readonly table: string;
}

export interface Goal {
  readonly goal: string;
  readonly met: boolean | undefined;
  readonly measured: string;
}

const RECORDS_PER_BATCH = 10;

/**
 * Part 1: Tidemark's processor handler against the Powertools FIFO batch processor with
 * makeIdempotent, on the same records, sink and DynamoDB Local, alternating the order per run.
 */
export async function runProcessorBench(options: ProcessorBenchOptions): Promise<ProcessorBenchResult> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), "tidemark-bench-processor-"));
  const ddbLocal = await startDynamoDbLocal();
  const admin = new DynamoDBClient(localAwsConfig(ddbLocal.endpoint));
  // One sink per process, as in a Lambda container; both variants write their (distinct) rows into it.
  const sink = await createDuckDbSink({ path: join(dir, "bench.duckdb") });
  const samples = new Map<string, PhaseSample[]>();
  let rowsExpected = 0;
  try {
    // Warm-up pass, not measured: DynamoDB Local's JIT and DuckDB's caches start cold.
    for (const variant of ["tidemark", "powertools"] as const) {
      const w = await measureVariant({
        variant,
        salt: `warmup-${variant}`,
        concurrency: 1,
        batches: Math.min(options.batches, 10),
        endpoint: ddbLocal.endpoint,
        admin,
        sink,
        duckdbPath: join(dir, "bench.duckdb"),
      });
      rowsExpected += w.rowsWritten;
    }
    for (let run = 0; run < options.runs; run++) {
      for (const concurrency of options.concurrencies) {
        const order: ProcessorVariant[] =
          run % 2 === 0 ? ["tidemark", "powertools"] : ["powertools", "tidemark"];
        for (const variant of order) {
          const salt = `${variant}-${run}-${concurrency}`;
          const result = await measureVariant({
            variant,
            salt,
            concurrency,
            batches: options.batches,
            endpoint: ddbLocal.endpoint,
            admin,
            sink,
            duckdbPath: join(dir, "bench.duckdb"),
          });
          rowsExpected += result.rowsWritten;
          for (const phase of ["new", "replay"] as const) {
            const key = `${variant}|${phase}|${concurrency}`;
            samples.set(key, [...(samples.get(key) ?? []), result[phase]]);
          }
          log(
            `  processor run ${run + 1}/${options.runs} ×${concurrency} ${variant}: ${result.new.recordsPerSecond.toFixed(0)} new rec/s, ${result.replay.recordsPerSecond.toFixed(0)} replay rec/s`,
          );
        }
      }
    }
    const [{ rows }] = (await sink.query<{ rows: bigint }>(
      "SELECT count(*) AS rows FROM l2_head_events",
    )) as [{ rows: bigint }];
    const cells = [...samples.entries()].map(([key, list]) => toCell(key, list));
    const goals = processorGoals(cells);
    return {
      cells,
      sink: { rowsExpected, rowsFound: Number(rows) },
      goals,
      table: renderProcessorTable(cells, goals),
    };
  } finally {
    await sink.close().catch(() => undefined);
    admin.destroy();
    await ddbLocal.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface MeasureParameters {
  readonly variant: ProcessorVariant;
  readonly salt: string;
  readonly concurrency: number;
  readonly batches: number;
  readonly endpoint: string;
  readonly admin: DynamoDBClient;
  readonly sink: DuckDbSink;
  readonly duckdbPath: string;
}

/** The shared sink, timed: how long each variant spends inside sink writes. */
interface TimedSink extends Sink {
  waitMs: number;
}

function timedSink(sink: Sink): TimedSink {
  const timed: TimedSink = {
    waitMs: 0,
    async write(records) {
      const t = performance.now();
      try {
        await sink.write(records);
      } finally {
        timed.waitMs += performance.now() - t;
      }
    },
    health: () => sink.health(),
    close: () => sink.close(),
  };
  return timed;
}

async function measureVariant(
  p: MeasureParameters,
): Promise<{ new: PhaseSample; replay: PhaseSample; rowsWritten: number }> {
  // Fresh tables per measurement: every variant starts from the same (empty) table size.
  const names = { idempotencyTable: `bench-idem-${p.salt}`, stateTable: `bench-state-${p.salt}` };
  await provisionTables({ ddb: p.admin, names });
  const accounting = createDdbAccounting();
  const sink = timedSink(p.sink);
  const instances = Array.from({ length: p.concurrency }, () => buildInstance(p, names, accounting, sink));
  try {
    // Warm-up: each instance's first invocation builds its processor (as a Lambda container's would).
    const warm = syntheticBatches(`warm-${p.salt}`, p.concurrency * 1);
    await Promise.all(instances.map((instance, i) => instance.invoke(warm[i] as SQSRecord[])));
    const batches = syntheticBatches(p.salt, p.batches);
    const fresh = await drive(instances, batches, accounting, sink);
    const replay = await drive(instances, redeliver(batches), accounting, sink);
    return { new: fresh, replay, rowsWritten: (p.concurrency + p.batches) * RECORDS_PER_BATCH };
  } finally {
    for (const instance of instances) instance.destroy();
    await Promise.all(
      [names.idempotencyTable, names.stateTable].map((TableName) =>
        p.admin.send(new DeleteTableCommand({ TableName })).catch(() => undefined),
      ),
    );
  }
}

interface Instance {
  invoke(records: readonly SQSRecord[]): Promise<SQSBatchResponse>;
  /** Records the handler itself counted as processed or duplicate (Tidemark's metrics), if it counts. */
  counted(): number | undefined;
  destroy(): void;
}

/** One "container": its own DynamoDB client (instrumented) and handler; the sink is the process's. */
function buildInstance(
  p: MeasureParameters,
  names: { idempotencyTable: string; stateTable: string },
  accounting: DdbAccounting,
  sink: Sink,
): Instance {
  const ddb = new DynamoDBClient(localAwsConfig(p.endpoint));
  instrumentDdbClient(ddb, accounting);
  const event = (records: readonly SQSRecord[]): SQSEvent => ({ Records: [...records] });
  if (p.variant === "powertools") {
    const handler = createPowertoolsBaseline({ ddb, tableName: names.idempotencyTable, sink });
    return {
      invoke: (records) => handler(event(records), lambdaContext("powertools-processor", 30_000)),
      counted: () => undefined,
      destroy: () => ddb.destroy(),
    };
  }
  // The DLQ is never used here (no poison); a client that would fail loudly if it were.
  const sqs = new SQSClient(localAwsConfig("http://127.0.0.1:9"));
  const metrics = benchMetrics(ServiceName.processor);
  const handler = createProcessorHandler({
    config: loadProcessorConfig({
      [ProcessorEnv.IdempotencyTable]: names.idempotencyTable,
      [ProcessorEnv.StateTable]: names.stateTable,
      [ProcessorEnv.DlqUrl]: "http://127.0.0.1:9/000000000000/bench-dlq.fifo",
      [SinkEnv.Sink]: "duckdb",
      [SinkEnv.DuckDbPath]: p.duckdbPath,
    }),
    ddb,
    sqs,
    sinkFactory: async () => sink,
    logger: silentLogger(ServiceName.processor),
    metrics,
  });
  return {
    invoke: async (records) =>
      (await handler(event(records), lambdaContext("tidemark-processor", 30_000))) as SQSBatchResponse,
    counted: () =>
      metrics.total(ProcessorMetric.RecordsProcessed) + metrics.total(ProcessorMetric.DuplicatesDropped),
    destroy: () => {
      ddb.destroy();
      sqs.destroy();
    },
  };
}

/** Feed the batches to the instances as pollers would: each takes the next batch when it is free. */
async function drive(
  instances: readonly Instance[],
  batches: readonly SQSRecord[][],
  accounting: DdbAccounting,
  sink: TimedSink,
): Promise<PhaseSample> {
  accounting.reset();
  sink.waitMs = 0;
  const countedBefore = instances.map((i) => i.counted());
  const latencies: number[] = [];
  let next = 0;
  let acknowledged = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    instances.map(async (instance) => {
      for (;;) {
        const batch = batches[next++];
        if (batch === undefined) return;
        const t = performance.now();
        const response = await instance.invoke(batch);
        latencies.push(performance.now() - t);
        failed += response.batchItemFailures.length;
        acknowledged += batch.length - response.batchItemFailures.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuUs = process.cpuUsage(cpu);
  const records = batches.reduce((n, b) => n + b.length, 0);
  const sorted = sortedCopy(latencies);
  const counted = instances.map((i, k) => {
    const after = i.counted();
    const before = countedBefore[k];
    return after === undefined || before === undefined ? undefined : after - before;
  });
  return {
    recordsPerSecond: records / seconds,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    cpuUsPerRecord: (cpuUs.user + cpuUs.system) / records,
    ddbMsPerBatch: accounting.waitMs / batches.length,
    sinkMsPerBatch: sink.waitMs / batches.length,
    ddb: accounting.snapshot(),
    recordsSent: records,
    recordsAcknowledged: acknowledged,
    recordsFailed: failed,
    handlerCounted: counted.some((c) => c === undefined)
      ? undefined
      : counted.reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
  };
}

function toCell(key: string, list: readonly PhaseSample[]): ProcessorCell {
  const [variant, phase, concurrency] = key.split("|") as [ProcessorVariant, ProcessorPhase, string];
  const per = (f: (s: PhaseSample) => number) => figure(list.map(f));
  const byCommand: Record<string, number> = {};
  const totalRecords = list.reduce((n, s) => n + s.recordsSent, 0);
  for (const s of list) {
    for (const [command, count] of Object.entries(s.ddb.requests)) {
      byCommand[command] = (byCommand[command] ?? 0) + count / totalRecords;
    }
  }
  const sum = (f: (s: PhaseSample) => number) => list.reduce((n, s) => n + f(s), 0);
  const counted = list.map((s) => s.handlerCounted);
  return {
    variant,
    phase,
    concurrency: Number(concurrency),
    recordsPerSecond: per((s) => s.recordsPerSecond),
    batchLatencyP50Ms: per((s) => s.p50Ms),
    batchLatencyP95Ms: per((s) => s.p95Ms),
    cpuUsPerRecord: per((s) => s.cpuUsPerRecord),
    ddbMsPerBatch: per((s) => s.ddbMsPerBatch),
    sinkMsPerBatch: per((s) => s.sinkMsPerBatch),
    ddbRequestsPerRecord: per((s) => s.ddb.totalRequests / s.recordsSent),
    ddbRequestsPerBatch: per((s) => (s.ddb.totalRequests / s.recordsSent) * RECORDS_PER_BATCH),
    ddbRequestsPerRecordByCommand: byCommand,
    writeUnitsPerRecord: per((s) => s.ddb.writeUnits / s.recordsSent),
    readUnitsPerRecord: per((s) => s.ddb.readUnits / s.recordsSent),
    reportedWriteUnitsPerRecord: per((s) => s.ddb.reportedWriteUnits / s.recordsSent),
    accounting: {
      recordsSent: sum((s) => s.recordsSent),
      recordsAcknowledged: sum((s) => s.recordsAcknowledged),
      recordsFailed: sum((s) => s.recordsFailed),
      handlerCounted: counted.some((c) => c === undefined)
        ? undefined
        : counted.reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
    },
  };
}

const find = (cells: readonly ProcessorCell[], variant: ProcessorVariant, phase: ProcessorPhase, c: number) =>
  cells.find((x) => x.variant === variant && x.phase === phase && x.concurrency === c);

function processorGoals(cells: readonly ProcessorCell[]): Goal[] {
  const t = find(cells, "tidemark", "new", 1);
  const p = find(cells, "powertools", "new", 1);
  const speedup = t && p ? t.recordsPerSecond.median / p.recordsPerSecond.median : undefined;
  const roundTrips = t?.ddbRequestsPerBatch.median;
  const tw = t?.writeUnitsPerRecord.median;
  const pw = p?.writeUnitsPerRecord.median;
  const trw = find(cells, "tidemark", "replay", 1)?.writeUnitsPerRecord.median;
  const prw = find(cells, "powertools", "replay", 1)?.writeUnitsPerRecord.median;
  return [
    {
      goal: "records/s ≥ 3× Powertools (new records, 1 instance)",
      met: speedup === undefined ? undefined : speedup >= 3,
      measured: speedup === undefined ? "—" : `${speedup.toFixed(2)}×`,
    },
    {
      goal: "≤ 3 DynamoDB round trips per 10-record batch (new records)",
      met: roundTrips === undefined ? undefined : roundTrips <= 3,
      measured: roundTrips === undefined ? "—" : roundTrips.toFixed(2),
    },
    {
      goal: "write units per record ≤ Powertools (new records)",
      met: tw === undefined || pw === undefined ? undefined : tw <= pw,
      measured: tw === undefined || pw === undefined ? "—" : `${tw.toFixed(2)} vs ${pw.toFixed(2)}`,
    },
    {
      goal: "write units per record ≤ Powertools (replayed duplicates)",
      met: trw === undefined || prw === undefined ? undefined : trw <= prw,
      measured: trw === undefined || prw === undefined ? "—" : `${trw.toFixed(2)} vs ${prw.toFixed(2)}`,
    },
  ];
}

function renderProcessorTable(cells: readonly ProcessorCell[], goals: readonly Goal[]): string {
  const rows: string[][] = [
    [
      "phase",
      "inst",
      "variant",
      "records/s",
      "vs PT",
      "batch p50 ms",
      "batch p95 ms",
      "DDB ms/batch",
      "sink ms/batch",
      "DDB req/rec",
      "DDB req by command (per rec)",
      "WCU/rec",
      "RCU/rec",
      "CPU µs/rec",
    ],
  ];
  const order = [...cells].sort(
    (a, b) =>
      a.phase.localeCompare(b.phase) || a.concurrency - b.concurrency || b.variant.localeCompare(a.variant),
  );
  for (const c of order) {
    const pt = find(cells, "powertools", c.phase, c.concurrency);
    rows.push([
      c.phase,
      String(c.concurrency),
      c.variant,
      showFigure(c.recordsPerSecond),
      c.variant === "tidemark" ? ratio(c.recordsPerSecond.median, pt?.recordsPerSecond.median) : "1.00×",
      showFigure(c.batchLatencyP50Ms, 1),
      showFigure(c.batchLatencyP95Ms, 1),
      showFigure(c.ddbMsPerBatch, 1),
      showFigure(c.sinkMsPerBatch, 1),
      showFigure(c.ddbRequestsPerRecord, 2),
      Object.entries(c.ddbRequestsPerRecordByCommand)
        .map(([k, v]) => `${k.replace(/Command$/, "")} ${v.toFixed(2)}`)
        .join(", "),
      showFigure(c.writeUnitsPerRecord, 2),
      showFigure(c.readUnitsPerRecord, 2),
      showFigure(c.cpuUsPerRecord),
    ]);
  }
  const goalLines = goals.map(
    (g) => `  ${g.met === undefined ? "?" : g.met ? "MET " : "MISS"}  ${g.goal}: ${g.measured}`,
  );
  return [
    renderTable(
      "1. Processor vs Powertools (SqsFifoPartialProcessorAsync + makeIdempotent), DynamoDB Local, DuckDB sink",
      rows,
    ),
    "   WCU / RCU: DynamoDB pricing (1 WCU per item write ≤ 1 KB, failed conditions included; 1 RCU per consistent read ≤ 4 KB), counted per request.",
    ...goalLines,
  ].join("\n");
}
