import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedApi } from "../../../lambdas/api/serveLocal.js";
import type { StreamEvent } from "../../../lambdas/api/stream/EventLog.js";
import { createFaultInjector, FaultPoint } from "../../../lambdas/shared/faultPoints.js";
import { StreamMetric } from "../../../lambdas/shared/metricNames.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";
import { servePipeline } from "../../../scripts/pipeline/servePipeline.js";
import { openSse, type SseClient } from "../../lambdas/api/sseClient.js";

/**
 * The live stream end to end, as `npm start -- --serve` runs it: a devnet with L1 and L2 reorgs, the
 * processor appending to the event log (and crashing after some sink writes, then restarting), a
 * client that disconnects and resumes with Last-Event-ID. What it received must be the log exactly.
 */
describe("the stream during a devnet run with reorgs", () => {
  let pipeline: LocalPipeline;
  let api: ServedApi;
  let crashes = 0;
  beforeAll(async () => {
    pipeline = await createLocalPipeline({
      devnet: {
        seed: 13,
        knobs: { l2ReorgProbability: 0.12, l1ReorgProbability: 0.12, pacingMsPerL2Block: 60 },
      },
      eventLog: true,
      timing: { visibilityTimeoutSeconds: 3, claimTimeoutSeconds: 2 },
      hooks: {
        // Every 7th processor batch dies after its rows and log entries are written, before completion:
        // SQS redelivers it and the processor applies it again.
        faults: createFaultInjector(
          (point) => point === FaultPoint.ProcessorAfterSink && ++crashes % 7 === 0,
        ),
      },
    });
    api = await servePipeline(pipeline);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await pipeline?.stop();
  });

  it("delivers exactly the canonical event log across disconnects and a processor restart", async () => {
    // Prepare
    const received: SseClient[] = [];
    const frames = () => received.flatMap((c) => c.frames.filter((f) => f.id !== undefined));
    const connect = async () => {
      // Before any event arrived, resume from the start (with neither, the stream begins at the head).
      const last = frames().at(-1)?.id ?? "0";
      const c = await openSse(`${api.url}/v1/sse/events`, { "last-event-id": last });
      received.push(c);
      return c;
    };
    // From the beginning of the log (a fresh log: after=0 is everything)
    received.push(await openSse(`${api.url}/v1/sse/events?after=0`));
    pipeline.startSchedule(500, 1_500);
    const run = pipeline.devnet?.run({ l2Blocks: 120 });

    // Act: drop the connection three times mid-run; restart the processor once
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 2_500));
      received.at(-1)?.close();
      if (round === 1) {
        await pipeline.poller.stop();
        await new Promise((r) => setTimeout(r, 1_000));
        pipeline.poller.start();
      }
      await new Promise((r) => setTimeout(r, 500));
      await connect();
    }
    await run;
    await pipeline.stopSchedule();
    await pipeline.catchUp({ maxRounds: 20 });
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    // Until the log stops moving (a crashed batch's retry can still append) and the client has its end.
    for (let head = -1; head !== (await pipeline.eventLog?.head()); ) {
      head = (await pipeline.eventLog?.head()) ?? 0;
      await received.at(-1)?.until((f) => f.some((x) => x.id === String(head)), 30_000);
      await new Promise((r) => setTimeout(r, 4_000));
    }
    received.at(-1)?.close();

    // Assess: the client's log is the log, entry for entry: no gap, no duplicate, same events
    const log: StreamEvent[] = [];
    for (let after = 0; ; ) {
      const page = (await pipeline.eventLog?.read(after, 500)) ?? [];
      if (page.length === 0) break;
      log.push(...page);
      after = page.at(-1)?.seq ?? after;
    }
    const clientLog = frames().map((f) => JSON.parse(f.data) as StreamEvent);
    expect(clientLog.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
    expect(clientLog).toEqual(log);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    // Each applied record once: as many entries as the processor applied for the first time
    expect(new Set(log.map((e) => `${e.key}|${JSON.stringify(e.payload)}`)).size).toBe(log.length);
    expect(pipeline.processorMetrics.total(StreamMetric.EventsLogged)).toBe(log.length);
    // The story had reorgs (a client retracts with them), crashes and resumes
    expect(log.filter((e) => e.type === "reorg").length).toBeGreaterThan(0);
    expect(crashes).toBeGreaterThanOrEqual(7);
    expect(received.length).toBe(4);
  }, 300_000);
});
