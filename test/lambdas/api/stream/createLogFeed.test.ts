import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedApi, serveApi } from "../../../../lambdas/api/serveLocal.js";
import { createLogFeed } from "../../../../lambdas/api/stream/createLogFeed.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../../lambdas/api/stream/createMemoryEventLog.js";
import type { EventLog } from "../../../../lambdas/api/stream/EventLog.js";
import { createDuckDbSink, type DuckDbSink } from "../../../../lambdas/sink/duckdbSink.js";
import { openSse, type SseClient } from "../sseClient.js";

const event = (i: number) => ({
  type: "l2_header",
  chain: "l2" as const,
  key: `${i}-l2_header`,
  payload: { i },
});
const ids = (c: SseClient) => c.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));

/** The memory log behind a slow store (as DynamoDB is), counting reads and how many run at once. */
function slowLog(inner: MemoryEventLog) {
  const seen = { reads: 0, heads: 0, inFlight: 0, maxInFlight: 0 };
  const slow = async <T>(run: () => Promise<T>) => {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    await new Promise((r) => setTimeout(r, 15));
    try {
      return await run();
    } finally {
      seen.inFlight--;
    }
  };
  const log: EventLog = {
    read: (after, limit) => {
      seen.reads++;
      return slow(() => inner.read(after, limit));
    },
    head: () => {
      seen.heads++;
      return slow(() => inner.head());
    },
  };
  return { log, seen };
}

describe("the shared log feed", () => {
  let sink: DuckDbSink;
  let memory: MemoryEventLog;
  let counted: ReturnType<typeof slowLog>;
  let api: ServedApi;
  const clients: SseClient[] = [];
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    memory = createMemoryEventLog();
    counted = slowLog(memory);
    api = await serveApi({
      db: sink,
      version: "test",
      dashboard: false,
      eventLog: counted.log,
      settings: { sseMaxConnections: 50, ssePollMs: 20, sseHeartbeatMs: 60_000 },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await api?.close();
    await sink?.close();
  });

  it("serves many connections from one reader of the log, each getting every event once, in order", async () => {
    // Prepare: 30 connections opened at once (they share one read of the head), each sees event 1
    memory.append([event(0)]);
    const opened = await Promise.all(Array.from({ length: 30 }, () => openSse(`${api.url}/v1/sse/events`)));
    clients.push(...opened);
    await Promise.all(opened.map((c) => c.until((f) => f.some((x) => x.event === "ready"))));
    memory.append([event(1)]);
    await Promise.all(opened.map((c) => c.until((f) => f.some((x) => x.id === "2"))));
    const headsAtConnect = counted.seen.heads;
    counted.seen.maxInFlight = 0;
    counted.seen.reads = 0;

    // Act: 40 more events, in bursts
    for (let burst = 0; burst < 4; burst++) {
      memory.append(Array.from({ length: 10 }, (_, i) => event(2 + burst * 10 + i)));
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all(opened.map((c) => c.until((f) => f.some((x) => x.id === "42"))));

    // Assess: no gap or repeat for any connection
    expect(headsAtConnect).toBeGreaterThan(0);
    for (const c of opened) expect(ids(c)).toEqual(Array.from({ length: 41 }, (_, i) => i + 2));
  });

  it("answers a read from its window exactly as the log does, and from the log behind the window", async () => {
    // Prepare: a window of 5 over a log of 20
    const log = createMemoryEventLog();
    log.append(Array.from({ length: 3 }, (_, i) => event(i)));
    const feed = createLogFeed({ log, windowSize: 5, batch: 4 });
    await feed.waitPast(3, 50, 5); // starts the poller at the head (3)
    log.append(Array.from({ length: 17 }, (_, i) => event(3 + i)));
    // Act
    await feed.waitPast(3, 1000, 5);
    while ((await feed.read(19, 10)).length === 0) await feed.waitPast(19, 1000, 5);
    const reads = await Promise.all([0, 10, 14, 15, 17, 19, 20, 25].map((after) => feed.read(after, 3)));
    const fromLog = await Promise.all([0, 10, 14, 15, 17, 19, 20, 25].map((after) => log.read(after, 3)));
    // Assess
    expect(reads).toEqual(fromLog);
    expect(reads[3]?.map((e) => e.seq)).toEqual([16, 17, 18]);
  });
});
