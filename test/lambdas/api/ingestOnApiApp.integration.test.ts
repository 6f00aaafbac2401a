import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGEST_ENDPOINTS, openApiPath } from "../../../lambdas/api/ingestEndpoints.js";
import { verifyProof } from "../../../lambdas/ingestApi/proofs.js";
import { type SignedReceipt, verifyReceipt } from "../../../lambdas/ingestApi/receipts.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import {
  body,
  buildDeps,
  event,
  type IngestParts,
  provisionIngest,
  startIngestParts,
} from "../ingestApi/helpers.js";
import { getJson, type Json, testApp } from "./helpers.js";

// Integration: the ingest routes as the /v1 app serves them (not the sub-app alone), over DynamoDB
// Local and fauxqs, beside the chain endpoints on an in-memory DuckDB.
let parts: IngestParts;
let deps: Awaited<ReturnType<typeof buildDeps>>;
let sink: DuckDbSink;
let key: string;

beforeAll(async () => {
  parts = await startIngestParts();
  deps = await buildDeps(parts, await provisionIngest(parts), { settings: { commitEveryEvents: 2 } });
  sink = await createDuckDbSink({ path: ":memory:" });
  key = (await deps.keys.createKey({ name: "app", streams: ["app"] })).apiKey;
});
afterAll(async () => {
  await sink?.close();
  deps?.destroy();
  await parts?.stop();
});

const post = (app: Hono, payload: string, headers: Record<string, string> = {}) =>
  app.request("/v1/events", {
    method: "POST",
    body: payload,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
  });

describe("createApiApp with the ingest routes", () => {
  it("accepts, deduplicates, lists, signs and proves events through the /v1 app", async () => {
    // Prepare
    const app = testApp(sink, { ingest: deps });
    // Act
    const first = await post(app, body(event("app", "a-1", { v: 1 }), event("app", "a-2", { v: 2 })));
    const again = await post(app, body(event("app", "a-1", { v: 1 })));
    const firstBody = (await first.json()) as Json;
    const eventId = firstBody.results[0].eventId as string;
    const listed = await getJson(app, "/v1/events?stream=app&after=0&limit=10", { "x-api-key": key });
    const receipt = await getJson<SignedReceipt>(app, `/v1/receipts/${eventId}`, { "x-api-key": key });
    const keys = await getJson(app, "/v1/keys");
    const notYet = await getJson(app, `/v1/proofs/${eventId}`, { "x-api-key": key });
    await deps.commitments.commitDue("app");
    const proof = await getJson(app, `/v1/proofs/${eventId}`, { "x-api-key": key });
    // Assess
    expect(first.status).toBe(200);
    expect(firstBody.results.map((r: Json) => [r.status, r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
    ]);
    expect(await again.json()).toMatchObject({
      results: [{ status: "duplicate", eventId, sequence: 1, idempotentHit: true }],
    });
    expect(listed.body.events.map((e: Json) => [e.sequence, e.payload])).toEqual([
      [1, { v: 1 }],
      [2, { v: 2 }],
    ]);
    const publicKey = keys.body.keys[0].publicKey as string;
    expect(verifyReceipt(receipt.body, publicKey)).toBe(true);
    expect(notYet.status).toBe(404);
    expect(proof.status).toBe(200);
    expect(verifyProof(proof.body, publicKey)).toEqual([]);
  });

  it("answers the ingest routes' errors in their own shape, and unknown routes with the app's 404", async () => {
    // Prepare
    const app = testApp(sink, { ingest: deps });
    // Act
    const noKey = await app.request("/v1/events?stream=app");
    const otherStream = await getJson(app, "/v1/events?stream=elsewhere", { "x-api-key": key });
    const unknown = await getJson(app, "/v1/receipts");
    // Assess
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { code: "unauthorized", field: "authorization" } });
    expect(otherStream.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });

  it("serves exactly the documented ingest routes, and none without the ingest dependencies", async () => {
    // Prepare
    const withIngest = testApp(sink, { ingest: deps });
    const without = testApp(sink);
    // Act
    const doc = (await getJson(withIngest, "/v1/openapi.json")).body;
    const plainDoc = (await getJson(without, "/v1/openapi.json")).body;
    const posted = await post(without, body(event("app", "x")));
    // Assess: every documented route is mounted, and every mounted ingest route is documented.
    const mounted = new Set(withIngest.routes.map((r) => `${r.method.toLowerCase()} ${r.path}`));
    for (const e of INGEST_ENDPOINTS) {
      expect(mounted).toContain(`${e.method} ${e.path}`);
      expect(doc.paths[openApiPath(e.path)][e.method].operationId).toBe(e.operationId);
      expect(plainDoc.paths[openApiPath(e.path)]).toBeUndefined();
    }
    const ingestPaths = ["/v1/events", "/v1/receipts/:eventId", "/v1/proofs/:eventId", "/v1/keys"];
    const documented = new Set(INGEST_ENDPOINTS.map((e) => `${e.method} ${e.path}`));
    for (const route of withIngest.routes) {
      if (route.method === "ALL" || !ingestPaths.includes(route.path)) continue;
      expect(documented).toContain(`${route.method.toLowerCase()} ${route.path}`);
    }
    expect(doc.components.securitySchemes.bearerKey.scheme).toBe("bearer");
    expect(posted.status).toBe(404);
  });

  it("allows POST in CORS only when the ingest routes are mounted, and exposes Retry-After", async () => {
    // Prepare
    const settings = { corsOrigins: ["https://producer.example"] };
    const preflight = (app: Hono) =>
      app.request("/v1/events", {
        method: "OPTIONS",
        headers: {
          origin: "https://producer.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    // Act
    const withIngest = await preflight(testApp(sink, { ingest: deps, settings }));
    const without = await preflight(testApp(sink, { settings }));
    const posted = await post(testApp(sink, { ingest: deps, settings }), body(event("app", "cors-1")), {
      origin: "https://producer.example",
    });
    // Assess
    expect(withIngest.headers.get("access-control-allow-methods")).toContain("POST");
    expect(withIngest.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(without.headers.get("access-control-allow-methods")).not.toContain("POST");
    expect(posted.status).toBe(200);
    expect(posted.headers.get("access-control-allow-origin")).toBe("https://producer.example");
    expect(posted.headers.get("access-control-expose-headers")).toContain("Retry-After");
  });

  it("limits posting per API key, not by the per-address limit of the read endpoints", async () => {
    // Prepare: 2 requests a minute per address, a key with a burst of 3.
    const limited = await deps.keys.createKey({
      name: "tight",
      streams: ["app"],
      ratePerSecond: 0.01,
      burst: 3,
    });
    const app = testApp(sink, { ingest: deps, settings: { rateLimitPerMinute: 2 } });
    const postAs = (n: number) =>
      app.request("/v1/events", {
        method: "POST",
        body: body(event("app", `limited-${n}`)),
        headers: { authorization: `Bearer ${limited.apiKey}`, "content-type": "application/json" },
      });
    // Act
    const statuses: number[] = [];
    for (let n = 0; n < 4; n++) statuses.push((await postAs(n)).status);
    const reads = [];
    for (let n = 0; n < 3; n++) reads.push((await app.request("/v1/keys")).status);
    // Assess
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(reads).toEqual([200, 200, 429]);
  });
});
