import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedApi, serveApi } from "../../../../lambdas/api/serveLocal.js";
import { createLogFeed, sharedFeedOf } from "../../../../lambdas/api/stream/createLogFeed.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../../lambdas/api/stream/createMemoryEventLog.js";
import type { EventLog } from "../../../../lambdas/api/stream/EventLog.js";
import { runSubscription } from "../../../../lambdas/api/stream/runSubscription.js";
import { createStreamStats } from "../../../../lambdas/api/stream/streamStats.js";
import { createDuckDbSink, type DuckDbSink } from "../../../../lambdas/sink/duckdbSink.js";
import { openSse, type SseClient } from "../sseClient.js";

const event = (i: number) => ({
  type: "l2_header",
  chain: "l2" as const,
  key: `${i}-l2_header`,
  payload: { i },
});
const ids = (c: SseClient) => c.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));

/** The memory log behind a slow store (as DynamoDB is), counting reads, the events they return and how many reads run at once. */
function slowLog(inner: MemoryEventLog) {
  const seen = { reads: 0, heads: 0, eventsRead: 0, inFlight: 0, maxInFlight: 0 };
  const slow = () => new Promise((r) => setTimeout(r, 15));
  const log: EventLog = {
    read: async (after, limit) => {
      seen.reads++;
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        await slow();
        const events = await inner.read(after, limit);
        seen.eventsRead += events.length;
        return events;
      } finally {
        seen.inFlight--;
      }
    },
    head: async () => {
      seen.heads++;
      await slow();
      return inner.head();
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

    // Act: 40 more events, in bursts
    for (let burst = 0; burst < 4; burst++) {
      memory.append(Array.from({ length: 10 }, (_, i) => event(2 + burst * 10 + i)));
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all(opened.map((c) => c.until((f) => f.some((x) => x.id === "42"))));

    // Assess: one read of the log at a time from the first connection on, each event fetched once
    // (events 2…42: the connections started at the head, 1), and no gap or repeat for any connection
    expect(headsAtConnect).toBeGreaterThan(0);
    expect(counted.seen.maxInFlight).toBe(1);
    expect(counted.seen.eventsRead).toBe(41);
    for (const c of opened) expect(ids(c)).toEqual(Array.from({ length: 41 }, (_, i) => i + 2));
  });

  it("keeps 1,000 subscribers on one reader when they join at a head the window has not reached", async () => {
    // Prepare: the process's feed anchored at 0, then 100 events appended while nobody waited (its tail is stale)
    const memoryLog = createMemoryEventLog();
    const { log, seen } = slowLog(memoryLog);
    await sharedFeedOf(log).read(0, 10);
    memoryLog.append(Array.from({ length: 100 }, (_, i) => event(i)));
    const stats = createStreamStats();
    const got = Array.from({ length: 1000 }, () => [] as number[]);
    let open = true;
    let closeAll = () => {};
    const closed = new Promise<void>((resolve) => {
      closeAll = resolve;
    });
    const settings = {
      sseMaxConnections: 1000,
      sseHeartbeatMs: 60_000,
      ssePollMs: 10,
      sseSlowClientMs: 5_000,
    };
    // Act: 1,000 subscribers from the head (100) at once, then 50 more events
    const running = got.map((received) =>
      runSubscription({
        log,
        settings,
        stats,
        subscription: { after: 100, matches: () => true },
        transport: {
          send: async (events) => {
            for (const e of events) received.push(e.seq);
          },
          heartbeat: async () => {},
          close: () => {},
          isOpen: () => open,
          closed,
        },
      }),
    );
    memoryLog.append(Array.from({ length: 50 }, (_, i) => event(100 + i)));
    while (got.some((r) => r.length < 50)) await new Promise((r) => setTimeout(r, 20));
    open = false;
    closeAll();
    await Promise.all(running);
    // Assess: one read at a time, each event fetched once (the 100 the window lacked, then the 50), every subscriber got 101…150
    expect(seen.maxInFlight).toBe(1);
    expect(seen.eventsRead).toBe(150);
    for (const r of got) expect(r).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
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
