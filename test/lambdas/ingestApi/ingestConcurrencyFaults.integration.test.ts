import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  CreateTableCommand,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { anchorRegistryAbi } from "../../../lambdas/ingestApi/anchorRegistryAbi.js";
import { IngestFaultPoint, type IngestFaultPointName } from "../../../lambdas/ingestApi/ingestFaultPoints.js";
import { type AnchorTarget, runIngestMaintenance } from "../../../lambdas/ingestApi/ingestMaintenance.js";
import { ingestTableDefinition } from "../../../lambdas/ingestApi/ingestTable.js";
import { leafHash, merkleRoot } from "../../../lambdas/ingestApi/merkle.js";
import { verifyCommitment } from "../../../lambdas/ingestApi/proofs.js";
import { payloadSha256, verifyReceipt } from "../../../lambdas/ingestApi/receipts.js";
import { verifyAnchored } from "../../../lambdas/ingestApi/verifyAnchored.js";
import { createProcessorHandler } from "../../../lambdas/processor/createProcessorHandler.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { createEventSourcePoller } from "../../../scripts/local/eventSourcePoller.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import {
  type ProvisionedQueues,
  provisionQueues,
  provisionTables,
} from "../../../scripts/local/provision.js";
import { deployRegistry } from "../../../scripts/pipeline/createLocalIngest.js";
import { seededRandom } from "../../../scripts/pipeline/runLocalPipeline.js";
import { testConfig } from "../processor/helpers.js";
import { body, buildDeps, event, type IngestParts, mountV1, startIngestParts } from "./helpers.js";

// Integration, on real local parts (DynamoDB Local, fauxqs, an anvil L2, DuckDB, the processor's handler):
// EVENTS events from 20 concurrent clients over 3 streams, through POST /v1/events, while the ingest path
// crashes at every fault point, DynamoDB and SQS throttle, and a committed transaction's answer is lost.
// `npm test` runs 2,000; INGEST_FAULT_EVENTS=10000 runs the full size (docs/evidence/).
const EVENTS = Number(process.env.INGEST_FAULT_EVENTS ?? 2_000);
// 10 min for 2,000 events; the full 10,000 gets 50 min on a shared machine.
vi.setConfig({ testTimeout: Math.max(600_000, EVENTS * 300) });
const CLIENTS = 20;
const STREAMS = ["orders", "relays", "notes"] as const;
const BATCH = 25;
/** Chances, per visit, that a step fails. Seeded: a failing run replays the same faults. */
const RATES = {
  [IngestFaultPoint.AfterSequence]: 0.1,
  [IngestFaultPoint.AfterSend]: 0.1,
  [IngestFaultPoint.AfterCommit]: 0.25,
  ddbThrottle: 0.005,
  // Per transaction: a combined call commits up to 48 events in one, so a run has only ~100 of them.
  lostCommitAnswer: 0.06,
  sqsThrottle: 0.05,
} as const;
type FaultKind = keyof typeof RATES;

let parts: IngestParts;
let anvil: AnvilNode;
beforeAll(async () => {
  [parts, anvil] = await Promise.all([startIngestParts(), startAnvil({ chainId: 167_002 })]);
});
afterAll(async () => {
  await Promise.all([parts?.stop(), anvil?.stop()]);
});

/** Decides each fault by its rate and counts what fired. */
function faultPlan(seed: number) {
  const random = seededRandom(seed);
  const fired = Object.fromEntries(Object.keys(RATES).map((k) => [k, 0])) as Record<FaultKind, number>;
  let enabled = true;
  const roll = (kind: FaultKind) => {
    if (!enabled || random() >= RATES[kind]) return false;
    fired[kind]++;
    return true;
  };
  return {
    fired,
    roll,
    /** The faults end where the checks begin: a check reads as a user would, once the system is calm. */
    stop: () => {
      enabled = false;
    },
    injector: {
      hit(point: IngestFaultPointName) {
        if (roll(point)) throw new Error(`injected crash at ${point}`);
      },
    },
  };
}

/**
 * Throttles as the SDK reports them once its own retries are spent (thrown before the request is sent),
 * and a committed TransactWriteItems whose answer is lost (thrown after).
 */
function throttle(ddb: DynamoDBClient, sqs: SQSClient, plan: ReturnType<typeof faultPlan>): void {
  ddb.middlewareStack.add(
    (next) => async (args) => {
      if (plan.roll("ddbThrottle")) {
        throw new ProvisionedThroughputExceededException({ message: "injected throttle", $metadata: {} });
      }
      const out = await next(args);
      if (args.input && "TransactItems" in (args.input as object) && plan.roll("lostCommitAnswer")) {
        throw Object.assign(new Error("injected: socket hang up after commit"), { name: "TimeoutError" });
      }
      return out;
    },
    { step: "initialize", name: "injectDynamoFaults" },
  );
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Entries?: unknown[] };
      if (Array.isArray(input.Entries) && plan.roll("sqsThrottle")) {
        throw Object.assign(new Error("injected: Rate exceeded"), { name: "ThrottlingException" });
      }
      return next(args);
    },
    { step: "initialize", name: "injectSqsFaults" },
  );
}

type Answer = { status: string; eventId?: string; sequence?: number };
type Sent = { stream: string; clientEventId: string; payload: { client: number; i: number } };

/** One client: its events in batches; a batch that failed (5xx, crash) is sent again, unchanged. */
async function runClient(
  app: ReturnType<typeof mountV1>,
  apiKey: string,
  client: number,
  events: readonly Sent[],
  answers: Map<string, Answer[]>,
): Promise<number> {
  let retries = 0;
  for (let from = 0; from < events.length; from += BATCH) {
    const batch = events.slice(from, from + BATCH);
    const payload = body(...batch.map((e) => event(e.stream, e.clientEventId, e.payload)));
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100) throw new Error(`client ${client}: batch at ${from} never got through`);
      const res = await mountV1Request(app, apiKey, payload);
      if (res.status >= 500) {
        retries++;
        await new Promise((r) => setTimeout(r, 5 + (attempt % 5) * 5));
        continue;
      }
      if (res.status !== 200)
        throw new Error(`client ${client}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      const results = (res.body as { results: Answer[] }).results;
      batch.forEach((e, i) => {
        const list = answers.get(e.clientEventId) ?? answers.set(e.clientEventId, []).get(e.clientEventId);
        list?.push(results[i] as Answer);
      });
      break;
    }
  }
  return retries;
}

async function mountV1Request(app: ReturnType<typeof mountV1>, apiKey: string, payload: string) {
  const res = await app.request("/v1/events", {
    method: "POST",
    body: payload,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** The processor's Lambda handler on its own (unfaulted) clients, fed by the local event source. */
function startProcessor(
  q: ProvisionedQueues,
  tables: { stateTable: string; idempotencyTable: string },
  sink: DuckDbSink,
) {
  const ddb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
  const sqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
  const metrics = new Metrics({ namespace: "Tidemark", serviceName: "processor" });
  vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(() => metrics);
  const handler = createProcessorHandler({
    config: testConfig({ ...tables, IDEMPOTENCY_TABLE: tables.idempotencyTable, DLQ_URL: q.dlqUrl }),
    ddb,
    sqs,
    sinkFactory: async () => sink,
    logger: new Logger({ serviceName: "processor", logLevel: "SILENT" }),
    metrics,
  });
  const received: string[] = [];
  const poller = createEventSourcePoller({
    sqs,
    queueUrl: q.queueUrl,
    queueArn: q.queueArn,
    handler: (e: SQSEvent, c: Context) => {
      for (const r of e.Records) received.push((JSON.parse(r.body) as { eventId: string }).eventId);
      return handler(e, c) as Promise<SQSBatchResponse>;
    },
    onError: () => {},
  });
  poller.start();
  return {
    received,
    stop: async () => {
      await poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
      await poller.stop();
      ddb.destroy();
      sqs.destroy();
    },
  };
}

describe("ingest API under concurrency and faults", () => {
  it(`numbers ${EVENTS} events from ${CLIENTS} clients 1..N per stream, once on the queue and in the sink, receipted, committed and anchored`, async () => {
    // Prepare: the ingest table, queues, processor tables, an AnchorRegistry on the L2 anvil.
    const setupDdb = new DynamoDBClient(localAwsConfig(parts.dynamo.endpoint));
    const setupSqs = new SQSClient(localAwsConfig(parts.sqsServer.endpoint));
    await setupDdb.send(new CreateTableCommand(ingestTableDefinition("ingest-faults")));
    const tables = await provisionTables({ ddb: setupDdb });
    const queues = await provisionQueues({ sqs: setupSqs, maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
    const names = { tableName: "ingest-faults", queueUrl: queues.queueUrl };
    const settings = { commitEveryEvents: Math.max(50, Math.ceil(EVENTS / 30)), outboxGraceSeconds: 0 };
    const plan = faultPlan(16);
    const deps = await buildDeps(parts, names, { settings, faults: plan.injector });
    const { apiKey } = await deps.keys.createKey({
      name: "load",
      streams: ["*"],
      ratePerSecond: 1e6,
      burst: 1e6,
    });
    throttle(deps.ddb, deps.sqs, plan);
    // The final maintenance rounds run "later" (past commitEverySeconds), so each stream's tail is committed too.
    const later = await buildDeps(parts, names, {
      settings,
      faults: plan.injector,
      now: () => Date.now() + 120_000,
    });
    throttle(later.ddb, later.sqs, plan);
    const anchor: AnchorTarget = await deployRegistry(anvil.url);
    const sink = await createDuckDbSink({ path: ":memory:" });
    const processor = startProcessor(queues, tables, sink);
    const app = mountV1(deps);
    const sent: Sent[] = Array.from({ length: EVENTS }, (_, i) => ({
      stream: STREAMS[i % STREAMS.length] as string,
      clientEventId: `c${i % CLIENTS}-e${i}`,
      payload: { client: i % CLIENTS, i },
    }));
    const answers = new Map<string, Answer[]>();

    // The routes log each injected failure as an internal error; counted, not printed.
    const internalErrors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const t0 = performance.now();
    const at: Record<string, number> = {};
    // Act: 20 clients at once, and the maintenance round (sweep, commit, anchor) looping beside them.
    let clientsDone = false;
    const maintenanceErrors: unknown[] = [];
    const maintenance = (async () => {
      while (!clientsDone) {
        await runIngestMaintenance({ deps, settings: deps.settings, anchor }).catch((e) =>
          maintenanceErrors.push(e),
        );
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const retries = await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) =>
        runClient(
          app,
          apiKey,
          c,
          sent.filter((_, i) => i % CLIENTS === c),
          answers,
        ),
      ),
    ).finally(() => {
      clientsDone = true;
    });
    await maintenance;
    at.clients = performance.now() - t0;
    // Then rounds until every stream is swept, committed to its head and anchored (a round may crash too).
    let report: Awaited<ReturnType<typeof runIngestMaintenance>> | undefined;
    for (let round = 0; round < 500; round++) {
      report = await runIngestMaintenance({ deps: later, settings: later.settings, anchor }).catch((e) => {
        maintenanceErrors.push(e);
        return undefined;
      });
      if (
        report &&
        report.outbox.unsent === 0 &&
        report.outbox.sent === 0 &&
        report.streams.length === STREAMS.length &&
        report.streams.every((s) => s.anchoredThrough === s.head)
      )
        break;
    }
    at.maintenance = performance.now() - t0;
    plan.stop();
    await processor.stop();
    at.processor = performance.now() - t0;
    const logged = internalErrors.mock.calls.length;
    internalErrors.mockRestore();
    console.log(
      `ingest faults: ${EVENTS} events, ${CLIENTS} clients, ${STREAMS.length} streams; client retries ${retries.reduce((a, b) => a + b, 0)}; faults fired ${JSON.stringify(plan.fired)};  5xx logged ${logged}; maintenance rounds that failed ${maintenanceErrors.length}; ms ${JSON.stringify(at)}; commitments ${JSON.stringify(Object.fromEntries(report?.streams.map((s) => [s.stream, s.anchoredThrough]) ?? []))}`,
    );

    // Assess: every fault kind fired, and every client got an answer per event.
    expect(Object.entries(plan.fired).filter(([, n]) => n === 0)).toEqual([]);
    expect(answers.size).toBe(EVENTS);
    // Every answer for one clientEventId names one eventId and one sequence, whether accepted or duplicate.
    const numbered = new Map<string, { eventId: string; sequence: number }>();
    for (const [clientEventId, list] of answers) {
      const distinct = new Set(
        list.map((a) => `${a.status === "rejected" ? "rejected" : ""}${a.eventId}:${a.sequence}`),
      );
      expect(distinct.size, clientEventId).toBe(1);
      numbered.set(clientEventId, { eventId: list[0]?.eventId ?? "", sequence: list[0]?.sequence ?? 0 });
    }
    for (const stream of STREAMS) {
      const mine = sent.filter((e) => e.stream === stream);
      const sequences = mine.map((e) => numbered.get(e.clientEventId)?.sequence ?? 0).sort((a, b) => a - b);
      expect(sequences, stream).toEqual(Array.from({ length: mine.length }, (_, i) => i + 1));
      // What the table holds: one event per number, its receipt signed over the payload the client sent.
      const stored = await deps.events.readRange(stream, 1, mine.length + 5);
      expect(stored.map((e) => e.sequence)).toEqual(sequences);
      const byId = new Map(mine.map((e) => [numbered.get(e.clientEventId)?.eventId, e]));
      for (const e of stored) {
        expect(verifyReceipt(e.receipt, deps.signer.publicKeyHex)).toBe(true);
        expect(e.receipt.payloadSha256).toBe(payloadSha256(byId.get(e.eventId)?.payload));
      }
      // Commitments: contiguous from 1 to the head, signed, each root over exactly its events, anchored.
      const commitments = await deps.commitments.listCommitments(stream);
      expect(commitments.map((c) => c.fromSequence)).toEqual([
        1,
        ...commitments.slice(0, -1).map((c) => c.toSequence + 1),
      ]);
      expect(commitments.at(-1)?.toSequence).toBe(mine.length);
      for (const c of commitments) {
        expect(verifyCommitment(c, deps.signer.publicKeyHex)).toBe(true);
        expect(c.root).toBe(
          merkleRoot(stored.slice(c.fromSequence - 1, c.toSequence).map((e) => leafHash(e.receipt))),
        );
        const onChain = await anchor.publicClient.readContract({
          address: anchor.registry,
          abi: anchorRegistryAbi,
          functionName: "rootOf",
          args: [stream, BigInt(c.fromSequence), BigInt(c.toSequence)],
        });
        expect(onChain).toBe(`0x${c.root}`);
      }
      // One event per commitment checked as a user would: its served proof against the root on chain.
      for (const c of commitments) {
        const proof = await deps.commitments.inclusionProof(stored[c.toSequence - 1]?.eventId ?? "");
        const checked = await verifyAnchored({
          proof,
          rpcUrl: anvil.url,
          publicKey: deps.signer.publicKeyHex,
          registry: anchor.registry,
        });
        expect(checked.problems).toEqual([]);
      }
      // The sink: exactly one row per number, the same event.
      const rows = await sink.query<{ sequence: number; event_id: string }>(
        "SELECT CAST(sequence AS INTEGER) AS sequence, event_id FROM api_events WHERE stream = $1 ORDER BY sequence",
        [stream],
      );
      expect(rows.map((r) => [r.sequence, r.event_id])).toEqual(stored.map((e) => [e.sequence, e.eventId]));
    }
    // The queue: each event delivered once (the sweeper's re-sends were deduplicated by eventId).
    expect(processor.received).toHaveLength(EVENTS);
    expect(new Set(processor.received).size).toBe(EVENTS);
    expect(report?.outbox).toEqual({ sent: 0, unsent: 0 });
    await sink.close();
    for (const c of [setupDdb, setupSqs]) c.destroy();
    deps.destroy();
    later.destroy();
  });
});
