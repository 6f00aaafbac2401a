import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EventLogPositionExpiredError } from "../../../../lambdas/api/stream/createDynamoEventLog.js";
import {
  createMemoryEventLog,
  type MemoryEventLog,
} from "../../../../lambdas/api/stream/createMemoryEventLog.js";
import type { EventLog } from "../../../../lambdas/api/stream/EventLog.js";
import { type FanOutDependencies, fanOutWebSocket } from "../../../../lambdas/api/stream/fanOutWebSocket.js";
import { createStreamStats } from "../../../../lambdas/api/stream/streamStats.js";
import type {
  WebSocketConnection,
  WebSocketConnections,
} from "../../../../lambdas/api/stream/webSocketConnections.js";
import { createWebSocketManagementApi } from "../../../../lambdas/api/stream/webSocketManagementApi.js";
import { handleWebSocketRoute } from "../../../../lambdas/api/stream/webSocketRoutes.js";
import { createAwsRequester } from "../../../../lambdas/shared/awsRequest.js";

/** The connections table's contract in memory: conditional advance, as DynamoDB's ConditionExpression. */
function memoryConnections(): WebSocketConnections & { readonly items: Map<string, WebSocketConnection> } {
  const items = new Map<string, WebSocketConnection>();
  return {
    items,
    async add(c) {
      items.set(c.connectionId, { ...c, lastSentAt: 0, ready: false });
    },
    async remove(id) {
      items.delete(id);
    },
    async count() {
      return items.size;
    },
    async list() {
      return [...items.values()];
    },
    async advance(id, from, to, sentAt) {
      const c = items.get(id);
      if (c === undefined || c.after !== from) return false;
      items.set(id, { ...c, after: to, ready: true, lastSentAt: sentAt ?? c.lastSentAt });
      return true;
    },
  };
}

interface Frame {
  readonly id?: string;
  readonly event: string;
  readonly data: { readonly seq?: number; readonly reason?: string; readonly after?: number };
}

/** API Gateway's management API on 127.0.0.1: records each connection's frames; 410 for gone ids, slow or failing ids on demand. */
function fakeManagementApi() {
  const frames = new Map<string, Frame[]>();
  const deleted: string[] = [];
  const gone = new Set<string>();
  const slow = new Set<string>();
  const failing = new Set<string>();
  const unsigned: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/v1\/@connections\/([^/]+)$/.exec(req.url ?? "");
      const auth = String(req.headers.authorization ?? "");
      if (!auth.startsWith("AWS4-HMAC-SHA256") || !auth.includes("/execute-api/aws4_request")) {
        unsigned.push(req.url ?? "");
        res.writeHead(403).end();
        return;
      }
      const id = decodeURIComponent(match?.[1] ?? "");
      if (match === null) return void res.writeHead(404).end();
      if (gone.has(id)) return void res.writeHead(410, { "x-amzn-errortype": "GoneException" }).end("{}");
      if (failing.has(id))
        return void res.writeHead(500, { "x-amzn-errortype": "InternalServerError" }).end();
      if (req.method === "DELETE") {
        deleted.push(id);
        return void res.writeHead(204).end();
      }
      const answer = () => {
        const list = frames.get(id) ?? [];
        list.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Frame);
        frames.set(id, list);
        res.writeHead(200).end();
      };
      if (slow.has(id)) setTimeout(answer, 2500);
      else answer();
    });
  });
  return { server, frames, deleted, gone, slow, failing, unsigned };
}

const ids = (frames: readonly Frame[] | undefined) =>
  (frames ?? []).filter((f) => f.id !== undefined).map((f) => Number(f.id));

let fake: ReturnType<typeof fakeManagementApi>;
let callbackUrl: string;
let log: MemoryEventLog;
let connections: ReturnType<typeof memoryConnections>;
let stats: ReturnType<typeof createStreamStats>;
let deps: FanOutDependencies;
const requester = createAwsRequester({
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});

beforeAll(async () => {
  fake = fakeManagementApi();
  await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
  callbackUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  requester.destroy();
  fake.server.close();
});
beforeEach(() => {
  for (const s of [fake.frames, fake.gone, fake.slow, fake.failing]) s.clear();
  fake.deleted.length = 0;
  log = createMemoryEventLog();
  connections = memoryConnections();
  stats = createStreamStats();
  deps = {
    log,
    connections,
    api: createWebSocketManagementApi({ requester, callbackUrl }),
    stats,
    // Far above a loopback post even on a loaded machine; the slow fake answers after 2.5 s.
    settings: { sseSlowClientMs: 1000, sseHeartbeatMs: 1000 },
  };
});

const append = (n: number, type = "l2_header", chain: "l1" | "l2" = "l2") =>
  log.append(Array.from({ length: n }, (_, i) => ({ type, chain, key: `${type}-${i}`, payload: { i } })));
const connect = (
  connectionId: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
) =>
  handleWebSocketRoute(
    { requestContext: { routeKey: "$connect", connectionId }, queryStringParameters: query, headers },
    { log, connections, maxConnections: 3, now: () => Date.now() - 60_000 },
  );

describe("$connect and $disconnect on AWS", () => {
  it("stores the filters and resume point of the query, Last-Event-ID (any case) winning", async () => {
    // Arrange
    append(5);
    // Act
    const fromHead = await connect("a", { events: "l2_header,reorg", chain: "l2" });
    const resumed = await connect("b", { after: "1" }, { "Last-Event-Id": "3" });
    // Assess
    expect([fromHead.statusCode, resumed.statusCode]).toEqual([200, 200]);
    expect(connections.items.get("a")).toMatchObject({
      after: 5,
      filter: { events: ["l2_header", "reorg"], chain: "l2" },
    });
    expect(connections.items.get("b")).toMatchObject({ after: 3, filter: {}, ready: false });
  });

  it("refuses a bad parameter with 400 naming it, and a connection past the limit with 503", async () => {
    // Act
    const bad = await connect("x", { chain: "l3" });
    const badAfter = await connect("y", { after: "-1" });
    for (const id of ["a", "b", "c"]) await connect(id);
    const full = await connect("d");
    // Assess
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body ?? "")).toMatchObject({ error: { code: "bad_parameter", field: "chain" } });
    expect(JSON.parse(badAfter.body ?? "").error.field).toBe("after");
    expect(full.statusCode).toBe(503);
    expect(JSON.parse(full.body ?? "").error.code).toBe("too_many_connections");
    expect([...connections.items.keys()].sort()).toEqual(["a", "b", "c"]);
  });

  it("forgets a connection on $disconnect", async () => {
    // Arrange
    await connect("a");
    // Act
    const out = await handleWebSocketRoute(
      { requestContext: { routeKey: "$disconnect", connectionId: "a" } },
      { log, connections, maxConnections: 3 },
    );
    // Assess
    expect(out.statusCode).toBe(200);
    expect(connections.items.size).toBe(0);
  });
});

describe("fanOutWebSocket", () => {
  it("sends ready, then every matching event in order over passes: no gap, no duplicate", async () => {
    // Arrange
    append(3);
    await connect("all", { after: "0" });
    await connect("l1only", { after: "0", chain: "l1" });
    // Act: appends between passes, L1 events mixed in
    await fanOutWebSocket(deps);
    append(2, "l1_header", "l1");
    append(250);
    await fanOutWebSocket(deps);
    await fanOutWebSocket(deps);
    append(1, "l1_header", "l1");
    const last = await fanOutWebSocket(deps);
    // Assess
    const all = fake.frames.get("all");
    expect(all?.[0]).toEqual({ event: "ready", data: { after: 0 } });
    expect(ids(all)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
    expect(ids(fake.frames.get("l1only"))).toEqual([4, 5, 256]);
    expect(connections.items.get("l1only")?.after).toBe(256);
    expect(fake.unsigned).toEqual([]);
    expect(last).toMatchObject({ connections: 2, framesSent: 2, failed: 0 });
    expect(stats.messagesSent).toBe(259);
  });

  it("resumes after the position given at $connect", async () => {
    // Arrange
    append(10);
    await connect("r", { after: "7" });
    // Act
    await fanOutWebSocket(deps);
    // Assess
    expect(fake.frames.get("r")?.[0]?.data).toEqual({ after: 7 });
    expect(ids(fake.frames.get("r"))).toEqual([8, 9, 10]);
  });

  it("drops a gone client (410) and records it, keeps a just-connected one, serves the rest", async () => {
    // Arrange
    append(2);
    await connect("gone", { after: "0" });
    await connect("ok", { after: "0" });
    await handleWebSocketRoute(
      {
        requestContext: { routeKey: "$connect", connectionId: "opening" },
        queryStringParameters: { after: "0" },
      },
      { log, connections, maxConnections: 3 },
    );
    fake.gone.add("gone");
    fake.gone.add("opening");
    // Act
    const result = await fanOutWebSocket(deps);
    // Assess
    expect(result.dropped).toEqual({ gone: 1 });
    expect(stats.snapshot().dropped).toEqual({ gone: 1 });
    expect(connections.items.has("gone")).toBe(false);
    expect(connections.items.get("opening")).toMatchObject({ after: 0, ready: false });
    expect(ids(fake.frames.get("ok"))).toEqual([1, 2]);
  });

  it("drops a slow client with a close frame and a disconnect, without holding up a fast one", async () => {
    // Arrange
    append(5);
    await connect("slow", { after: "0" });
    await connect("fast", { after: "0" });
    fake.slow.add("slow");
    // Act
    const result = await fanOutWebSocket(deps);
    // Assess
    expect(result.dropped).toEqual({ slow_client: 1 });
    expect(fake.deleted).toEqual(["slow"]);
    expect(connections.items.has("slow")).toBe(false);
    expect(ids(fake.frames.get("fast"))).toEqual([1, 2, 3, 4, 5]);
  });

  it("leaves a connection whose posts fail for the next pass, at the last delivered position", async () => {
    // Arrange
    append(3);
    await connect("flaky", { after: "0" });
    await fanOutWebSocket(deps);
    append(2);
    fake.failing.add("flaky");
    // Act
    const failed = await fanOutWebSocket(deps);
    fake.failing.delete("flaky");
    await fanOutWebSocket(deps);
    // Assess
    expect(failed.failed).toBe(1);
    expect(ids(fake.frames.get("flaky"))).toEqual([1, 2, 3, 4, 5]);
  });

  it("drops a client whose position the log no longer holds, and sends heartbeats when idle", async () => {
    // Arrange
    const expiring: EventLog = {
      head: async () => 9,
      read: async (after) => {
        if (after < 5) throw new EventLogPositionExpiredError(`gone after ${after}`);
        return [];
      },
    };
    await connect("old", { after: "2" });
    await connect("idle", { after: "0" });
    await connections.advance("idle", 0, 9, Date.now() - 10_000);
    // Act
    const result = await fanOutWebSocket({ ...deps, log: expiring }, { heartbeat: true });
    // Assess
    expect(result.dropped).toEqual({ position_expired: 1 });
    expect(fake.frames.get("old")?.at(-1)).toEqual({
      event: "close",
      data: { reason: "position_expired", after: 2 },
    });
    expect(fake.frames.get("idle")).toEqual([{ event: "heartbeat", data: { head: 9 } }]);
  });
});
