import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedApi, serveApi } from "../../../lambdas/api/serveLocal.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../lambdas/api/stream/createMemoryEventLog.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { openSse, type SseClient } from "./sseClient.js";

const event = (i: number, type = "l2_header", chain: "l1" | "l2" = "l2") => ({
  type,
  chain,
  key: `${i}:0x${i.toString(16)}-${type}`,
  payload: { number: i },
});

const ids = (c: SseClient) => c.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));

describe("GET /v1/sse/events", () => {
  let sink: DuckDbSink;
  let log: MemoryEventLog;
  let api: ServedApi;
  const clients: SseClient[] = [];
  const open = async (path: string, headers: Record<string, string> = {}, read = true) => {
    const c = await openSse(`${api.url}${path}`, headers, { read });
    clients.push(c);
    return c;
  };
  // Closed clients are released when the server next notices the socket is gone.
  const waitForNoConnections = async () => {
    for (let i = 0; i < 200; i++) {
      const h = await (await fetch(`${api.url}/health`)).json();
      if (h.stream.connections === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("stream connections were not released");
  };
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    log = createMemoryEventLog();
    api = await serveApi({
      db: sink,
      version: "test",
      dashboard: false,
      eventLog: log,
      settings: { sseMaxConnections: 3, ssePollMs: 20, sseHeartbeatMs: 100, sseSlowClientMs: 300 },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await api?.close();
    await sink?.close();
  });

  it("resumes after Last-Event-ID (or ?after=) with no gap and no duplicate, across filters", async () => {
    // Prepare
    log.append(Array.from({ length: 30 }, (_, i) => event(i + 1, i % 5 === 4 ? "reorg" : "l2_header")));
    const first = await open("/v1/sse/events?after=0");
    await first.until((f) => ids({ frames: f } as SseClient).length >= 12);
    first.close();
    const lastSeen = Math.max(...ids(first));

    // Act: the log moves on while the client is away; it reconnects from its last id
    log.append(Array.from({ length: 20 }, (_, i) => event(31 + i)));
    const resumed = await open("/v1/sse/events", { "last-event-id": String(lastSeen) });
    await resumed.until((f) => f.some((x) => x.id === "50"));
    const viaQuery = await open("/v1/sse/events?after=12&events=reorg");
    await viaQuery.until((f) => f.some((x) => x.id === "30"));
    resumed.close();
    viaQuery.close();

    // Assess
    const seen = [...ids(first), ...ids(resumed)];
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(ids(viaQuery)).toEqual([15, 20, 25, 30]);
    expect(JSON.parse(resumed.frames.find((f) => f.id === "50")?.data ?? "{}")).toMatchObject({
      seq: 50,
      type: "l2_header",
      payload: { number: 50 },
    });
  });

  it("sends heartbeats while idle and new events as they are appended", async () => {
    // Prepare
    const client = await open("/v1/sse/events");
    await client.until(() => client.heartbeats() >= 2);
    // Act
    const [added] = log.append([event(99, "batch_proposed", "l1")]);
    await client.until((f) => f.some((x) => x.id === String(added?.seq)));
    // Assess
    expect(client.frames[0]?.event).toBe("ready");
    expect(client.frames.filter((f) => f.id !== undefined).map((f) => f.event)).toEqual(["batch_proposed"]);
    client.close();
  });

  it("refuses a connection over the limit with 503, and bad resume points with 400", async () => {
    // Prepare: fill the limit (3)
    await waitForNoConnections();
    const held = [await open("/v1/sse/events"), await open("/v1/sse/events"), await open("/v1/sse/events")];
    await Promise.all(held.map((c) => c.until((f) => f.length > 0)));
    // Act
    const over = await fetch(`${api.url}/v1/sse/events`);
    for (const c of held) c.close();
    const bad = await fetch(`${api.url}/v1/sse/events?after=x`);
    // Assess
    expect(over.status).toBe(503);
    expect(await over.json()).toMatchObject({ error: { code: "too_many_connections" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: "after" } });
  });

  it("drops a client that stops reading, without holding up one that reads", async () => {
    // Prepare
    await waitForNoConnections();
    const start = (await log.head()) as number;
    const stalled = await open(`/v1/sse/events?after=${start}`, {}, false);
    const reader = await open(`/v1/sse/events?after=${start}`);
    // Act: ~16 MB of events, far more than the socket buffers hold for the stalled client
    const big = "x".repeat(16_000);
    log.append(Array.from({ length: 1000 }, (_, i) => ({ ...event(1000 + i), payload: { big } })));
    await reader.until((f) => f.some((x) => x.id === String(start + 1000)), 60_000);
    let health = await (await fetch(`${api.url}/health`)).json();
    for (let i = 0; i < 100 && health.stream.clientsDropped === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await (await fetch(`${api.url}/health`)).json();
    }
    // Assess
    expect(ids(reader)).toEqual(Array.from({ length: 1000 }, (_, i) => start + i + 1));
    expect(health.stream.clientsDropped).toBe(1);
    stalled.close();
  });
});
