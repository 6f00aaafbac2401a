import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type ServedApi, serveApi } from "../../../../lambdas/api/serveLocal.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../../lambdas/api/stream/createMemoryEventLog.js";
import { createDuckDbSink, type DuckDbSink } from "../../../../lambdas/sink/duckdbSink.js";

interface Frame {
  readonly id?: string;
  readonly event: string;
  readonly data: { readonly seq?: number; readonly reason?: string; readonly after?: number };
}

/** A WebSocket client that keeps every frame, the close code and reason. */
function connect(url: string) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | undefined;
  let pings = 0;
  ws.on("message", (m) => frames.push(JSON.parse(String(m)) as Frame));
  ws.on("ping", () => pings++);
  ws.on("close", (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  const until = async (ok: () => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`WebSocket: condition not met; ${frames.length} frames`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const error = new Promise<Error>((resolve) => ws.once("error", resolve));
  return {
    ws,
    frames,
    until,
    error,
    ids: () => frames.filter((f) => f.id !== undefined).map((f) => Number(f.id)),
    closed: () => closed,
    pings: () => pings,
  };
}

const event = (i: number, type = "l2_header") => ({
  type,
  chain: "l2" as const,
  key: `${i}-${type}`,
  payload: { i },
});

describe("/v1/ws/events", () => {
  let sink: DuckDbSink;
  let log: MemoryEventLog;
  let api: ServedApi;
  let wsUrl: string;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    log = createMemoryEventLog();
    api = await serveApi({
      db: sink,
      version: "test",
      dashboard: false,
      eventLog: log,
      settings: { sseMaxConnections: 4, ssePollMs: 20, sseHeartbeatMs: 100, sseSlowClientMs: 300 },
    });
    wsUrl = api.url.replace("http:", "ws:");
  });
  afterAll(async () => {
    await api?.close();
    await sink?.close();
  });

  it("delivers the same events as SSE, filtered, and resumes after ?after= with no gap and no duplicate", async () => {
    // Prepare
    log.append(Array.from({ length: 20 }, (_, i) => event(i + 1, i % 4 === 3 ? "reorg" : "l2_header")));
    const first = connect(`${wsUrl}/v1/ws/events?after=0`);
    await first.until(() => first.ids().length >= 8);
    first.ws.close();
    const last = Math.max(...first.ids());
    // Act: more arrive while away; resume from the last id seen, and a filtered subscriber
    log.append(Array.from({ length: 10 }, (_, i) => event(21 + i)));
    const resumed = connect(`${wsUrl}/v1/ws/events?after=${last}`);
    const reorgs = connect(`${wsUrl}/v1/ws/events?after=0&events=reorg&chain=l2`);
    await resumed.until(() => resumed.ids().includes(30));
    await reorgs.until(() => reorgs.ids().includes(20));
    // Assess
    const seen = [...first.ids().filter((id) => id <= last), ...resumed.ids()];
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(reorgs.ids()).toEqual([4, 8, 12, 16, 20]);
    expect(resumed.frames[0]).toEqual({ event: "ready", data: { after: last } });
    expect(resumed.frames.find((f) => f.id === "30")?.data).toMatchObject({ seq: 30, type: "l2_header" });
    resumed.ws.close();
    reorgs.ws.close();
  });

  it("pings while idle, and refuses a bad resume point with 400 naming it", async () => {
    // Prepare
    const idle = connect(`${wsUrl}/v1/ws/events`);
    // Act
    await idle.until(() => idle.pings() >= 2);
    const bad = connect(`${wsUrl}/v1/ws/events?after=x`);
    const response = await new Promise<{ status: number; body: string }>((resolve) =>
      bad.ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      }),
    );
    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "bad_parameter", field: "after" } });
    idle.ws.close();
  });

  it("drops a client that stops reading with reason slow_client, while a reading one gets everything", async () => {
    // Prepare
    const start = await log.head();
    const stalled = connect(`${wsUrl}/v1/ws/events?after=${start}`);
    const reader = connect(`${wsUrl}/v1/ws/events?after=${start}`);
    await stalled.until(() => stalled.frames.length > 0);
    await reader.until(() => reader.frames.length > 0);
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // Act: ~16 MB, far more than the socket buffers hold for the stalled client
    const big = "x".repeat(16_000);
    log.append(Array.from({ length: 1000 }, (_, i) => ({ ...event(5000 + i), payload: { big } })));
    await reader.until(() => reader.ids().includes(start + 1000), 60_000);
    let health = await (await fetch(`${api.url}/health`)).json();
    for (let i = 0; i < 100 && !health.stream.dropped.slow_client; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await (await fetch(`${api.url}/health`)).json();
    }
    // Assess
    expect(reader.ids()).toEqual(Array.from({ length: 1000 }, (_, i) => start + i + 1));
    expect(health.stream.dropped.slow_client).toBe(1);
    (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await stalled.until(() => stalled.closed() !== undefined);
    expect(stalled.closed()).toEqual({ code: 4008, reason: "slow_client" });
    reader.ws.close();
  });
});
