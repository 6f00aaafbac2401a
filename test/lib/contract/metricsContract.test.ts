import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIDEMARK_STAGE } from "../../../lambdas/shared/environment.js";
import { METRIC_NAMESPACE } from "../../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../../lambdas/shared/serviceNames.js";
import { runLocalPipeline } from "../../../scripts/pipeline/runLocalPipeline.js";
import { synthStage } from "../synthStage.js";
import { type MetricIdentity, metricKey, recordEmf } from "./emfRecorder.js";
import { type MetricRead, metricsRead } from "./templateMetrics.js";

const STAGE = "dev";

/**
 * Functions whose handlers this run does not start yet: their metrics are checked by name in their own
 * tests only. Listed so the gap is visible, and so the list shrinks when a run covers one.
 */
const NOT_RUN_HERE: readonly string[] = [
  ServiceName.unprovenBatchAge,
  ServiceName.apiStream,
  ServiceName.ingestApi,
  ServiceName.ingestMaintenance,
  ServiceName.apiWebSocket,
];

/** Reviewed: metrics the functions emit that no alarm or widget reads, and why nobody needs to watch them. */
const UNWATCHED: Readonly<Record<string, string>> = {
  ChainHead: "context for logs: IngestLagBlocks (graphed, alarmed) is the head minus the cursor",
};

/**
 * Reviewed: metrics the template reads that a healthy short run on the devnet does not emit, and why.
 * Their dimension sets are still checked wherever the same name is emitted with another set.
 */
const NOT_EXERCISED: Readonly<Record<string, string>> = {
  RecordsRejected: "the devnet's logs all decode; rejection has its own tests (lambdas/ingestor)",
  RpcErrors: "the local nodes answer; the chaos suite injects RPC faults",
  PollFailures:
    "the local nodes, DynamoDB Local and the SQS server answer every poll (ingestor.ts records a failed one with its chain)",
  InboxLogsSkipped: "the devnet's logs all decode (logSources.ts records a skipped one with chain=l1)",
  ReorgsDetected: "a 6-second run may see no reorg (the devnet's reorgs are probabilistic)",
  ReorgDepth: "as ReorgsDetected",
  ShastaProposalsProposed: "this devnet story stays on Pacaya (Shasta has its own devnet run)",
  EventsLogged: "runLocalPipeline runs without the stream's event log (eventLog: false)",
  BatchesProposedRetracted:
    "a retraction needs an L1 reorg that moves a lifecycle step (chaos seeds have them)",
  L2BlockIntervalSecondsRetracted: "as BatchesProposedRetracted",
  BatchPostingIntervalSecondsRetracted: "as BatchesProposedRetracted",
  BatchProveTimeSecondsRetracted: "as BatchesProposedRetracted",
  BatchVerifyTimeSecondsRetracted: "as BatchesProposedRetracted",
};

let reads: MetricRead[];
let emitted: MetricIdentity[];

beforeAll(async () => {
  // The dimensions a deployed function emits with: `stage` from TIDEMARK_STAGE, as its construct sets it.
  process.env[TIDEMARK_STAGE] = STAGE;
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  const recorder = recordEmf();
  try {
    // The local pipeline runs the ingestor and processor handlers (the factories Lambda runs), with a
    // poison message so the dead-letter path emits too.
    const result = await runLocalPipeline({
      durationMs: 6_000,
      seed: 2,
      poisonMessages: 1,
      duplicateProbability: 0.2,
    });
    expect(result.problems).toEqual([]);
  } finally {
    recorder.stop();
    delete process.env[TIDEMARK_STAGE];
  }
  emitted = recorder.emitted();
  reads = metricsRead(synthStage(STAGE).service.toJSON().Resources);
}, 600_000);

afterAll(() => {
  delete process.env[TIDEMARK_STAGE];
});

const serviceOf = (m: MetricIdentity) => m.dimensions.find((d) => d.startsWith("service="))?.slice(8) ?? "";

describe("metrics contract: what the dashboard and alarms read is what the functions emit", () => {
  it("reads every custom metric of a run function with a dimension set the function emits", () => {
    // Assess: a read of a name the run emitted must match one of its emitted dimension sets exactly.
    // Which chain a run happened to see a reorg on is luck: a read of chain=l1 is matched by the same
    // dimension set emitted for chain=l2 (the dimension names and every other value must agree).
    const anyChain = (key: string) => key.replace(/chain=l[12]/, "chain=*");
    const emittedKeys = new Set(emitted.map((m) => anyChain(metricKey(m))));
    const emittedNames = new Set(emitted.map((m) => m.name));
    const ran = new Set(emitted.map(serviceOf));
    const unmatched = reads
      .filter((r) => ran.has(serviceOf(r)) && !emittedKeys.has(anyChain(metricKey(r))))
      .filter((r) => emittedNames.has(r.name) || NOT_EXERCISED[r.name] === undefined)
      .map(
        (r) =>
          `${r.reader} reads ${metricKey(r)}; emitted: ${
            emitted
              .filter((m) => m.name === r.name)
              .map(metricKey)
              .join(" | ") || "none"
          }`,
      );
    expect([...new Set(unmatched)].sort()).toEqual([]);
  });

  it("keeps the not-exercised list honest: each names a metric the template reads", () => {
    // Assess
    const readNames = new Set(reads.map((r) => r.name));
    expect(Object.keys(NOT_EXERCISED).filter((n) => !readNames.has(n))).toEqual([]);
  });

  it("runs every function the template reads metrics of, but the listed ones", () => {
    // Assess
    const ran = new Set(emitted.map(serviceOf));
    const readServices = [...new Set(reads.map(serviceOf))].sort();
    expect(readServices.filter((s) => !ran.has(s))).toEqual([...NOT_RUN_HERE].sort());
  });

  it("watches every emitted metric on the dashboard or an alarm, but the reviewed ones", () => {
    // Assess
    const readKeys = new Set(reads.map(metricKey));
    const unwatched = [...new Set(emitted.filter((m) => m.namespace === METRIC_NAMESPACE).map(metricKey))]
      .filter((k) => !readKeys.has(k))
      .filter((k) => UNWATCHED[k.split(" {")[0]?.slice(METRIC_NAMESPACE.length + 1) ?? ""] === undefined)
      .sort();
    expect(unwatched).toEqual([]);
  });
});
