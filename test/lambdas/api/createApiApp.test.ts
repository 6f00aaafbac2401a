import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ENDPOINTS } from "../../../lambdas/api/apiEndpoints.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { ALL, getJson, NOW_MS, seedApi, testApp, testClock } from "./helpers.js";

describe("createApiApp", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    await seedApi(sink);
  });
  afterAll(async () => {
    await sink.close();
  });

  it.each([
    ["/v1/l2-blocks?created[gte]=yesterday", "created[gte]"],
    ["/v1/l2-blocks?created[lt]=12ab", "created[lt]"],
    ["/v1/l2-blocks?created[gte]=20&created[lt]=10", "created[gte]"],
    ["/v1/l2-blocks?block[gte]=-1", "block[gte]"],
    ["/v1/l2-blocks?block[gte]=9&block[lt]=3", "block[gte]"],
    ["/v1/l2-blocks?block[lt]=x", "block[lt]"],
    ["/v1/l2-blocks?limit=0", "limit"],
    ["/v1/batches?limit=5000", "limit"],
    ["/v1/l2-blocks?cursor=not-a-cursor", "cursor"],
    ["/v1/reorgs?cursor=WzFd", "cursor"], // a cursor of another list ([1])
    ["/v1/l2-blocks?address=0x12", "address"],
    ["/v1/reorgs?chain=l3", "chain"],
  ])("answers %s with 400 naming %s", async (path, parameter) => {
    // Prepare
    const app = testApp(sink);
    // Act
    const { status, body } = await getJson(app, path);
    // Assess
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "bad_parameter", field: parameter });
    expect(body.error.message).toContain(parameter);
  });

  it("clamps a window wider than the maximum to its latest part and says so", async () => {
    // Prepare
    const app = testApp(sink, { settings: { maxRangeSeconds: 3600, defaultRangeSeconds: 600 } });
    // Act
    const wide = await getJson(app, "/v1/tps?created[gte]=0&created[lt]=4031");
    const byDefault = await getJson(app, "/v1/tps");
    const iso = await getJson(
      app,
      "/v1/tps?created[gte]=1970-01-01T00:16:40Z&created[lt]=1970-01-01T00:17:00Z",
    );
    // Assess
    expect(wide.body.range).toEqual({ gte: 4031 - 3600, lt: 4031, clamped: true });
    expect(wide.body.transactions).toBe(35);
    expect(byDefault.body.range).toEqual({ gte: NOW_MS / 1000 - 600, lt: NOW_MS / 1000, clamped: false });
    expect(iso.body).toMatchObject({ range: { gte: 1000, lt: 1020 }, blocks: 6 });
  });

  it("answers unknown routes and empty heads with a JSON 404", async () => {
    // Prepare
    const empty = await createDuckDbSink({ path: ":memory:" });
    const app = testApp(empty);
    // Act
    const route = await getJson(app, "/v1/nope");
    const head = await getJson(app, "/v1/l2-head");
    await empty.close();
    // Assess
    expect(route).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(head).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  it("reports every dependency check with its response time; /ready is 503 when one is down", async () => {
    // Prepare
    const clock = testClock();
    const app = testApp(sink, {
      clock,
      checks: {
        dynamodb: async () => {
          clock.advance(12);
        },
        rpc_l1: async () => {
          clock.advance(5);
          throw new Error("ECONNREFUSED 127.0.0.1:8545");
        },
      },
    });
    clock.advance(90_000);
    // Act
    const health = await getJson(app, "/health");
    const ready = await getJson(app, "/ready");
    // Assess
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "unhealthy", version: "test", uptimeSeconds: 90 });
    expect(health.body.checks.sink.status).toBe("up");
    expect(health.body.checks.dynamodb).toEqual({ status: "up", responseTimeMs: expect.any(Number) });
    expect(health.body.checks.rpc_l1).toMatchObject({ status: "down", error: "ECONNREFUSED 127.0.0.1:8545" });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.rpc_l1.status).toBe("down");
  });

  it("is ready when every check answers, and counts a check that never answers as down", async () => {
    // Prepare
    const ok = testApp(sink, { checks: { queue: async () => {} } });
    const hanging = testApp(sink, {
      settings: { checkTimeoutMs: 50 },
      checks: { queue: () => new Promise(() => {}) },
    });
    // Act
    const ready = await getJson(ok, "/ready");
    const stuck = await getJson(hanging, "/ready");
    // Assess
    expect(ready).toMatchObject({ status: 200, body: { status: "healthy" } });
    expect(stuck.status).toBe(503);
    expect(stuck.body.checks.queue).toMatchObject({ status: "down", error: "no answer within 50 ms" });
  });

  it("limits requests per client with 429 and Retry-After, and lets the next minute through", async () => {
    // Prepare
    const clock = testClock(1_800_000_010_000); // 10 s into a minute
    const app = testApp(sink, { clock, settings: { rateLimitPerMinute: 3 } });
    const as = (ip: string) => ({ "x-forwarded-for": ip });
    // Act
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push((await getJson(app, "/v1/l2-head", as("10.0.0.1"))).status);
    const limited = await getJson(app, "/v1/l2-head", as("10.0.0.1"));
    const other = await getJson(app, "/v1/l2-head", as("10.0.0.2"));
    const health = await getJson(app, "/health", as("10.0.0.1"));
    clock.advance(50_000);
    const later = await getJson(app, "/v1/l2-head", as("10.0.0.1"));
    // Assess
    expect(allowed).toEqual([200, 200, 200]);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toBe("50");
    expect(other.status).toBe(200);
    expect(health.status).toBe(200);
    expect(later.status).toBe(200);
  });

  it("sends CORS headers only to the configured origins", async () => {
    // Prepare
    const app = testApp(sink, { settings: { corsOrigins: ["https://scope.example"] } });
    // Act
    const allowed = await app.request("/v1/l2-head", { headers: { origin: "https://scope.example" } });
    const other = await app.request("/v1/l2-head", { headers: { origin: "https://evil.example" } });
    const closed = await testApp(sink).request("/v1/l2-head", {
      headers: { origin: "https://scope.example" },
    });
    // Assess
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://scope.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("documents every route it serves in /v1/openapi.json, with each accepted parameter", async () => {
    // Prepare
    const app = testApp(sink);
    // Act
    const { status, body } = await getJson(app, "/v1/openapi.json");
    const docs = await app.request("/v1/docs");
    // Assess
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    for (const e of API_ENDPOINTS) {
      const op = body.paths[e.path].get;
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(e.params);
      const served = await app.request(`${e.path}?${e.params.length > 0 ? ALL : ""}`);
      expect(served.status, e.path).toBe(200);
    }
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(["/health", "/ready"]));
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/v1/openapi.json");
  });

  it("answers 404 at / when no dashboard page was built into it", async () => {
    // Act
    const res = await testApp(sink).request("/");
    // Assess
    expect(res.status).toBe(404);
  });
});
