import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SignedReceipt, verifyReceipt } from "../../../lambdas/ingestApi/receipts.js";
import {
  body,
  buildDeps,
  event,
  type IngestParts,
  mountV1,
  provisionIngest,
  startIngestParts,
} from "./helpers.js";

// Integration: the routes as the /v1 app mounts them, over DynamoDB Local and fauxqs.
let parts: IngestParts;
let deps: Awaited<ReturnType<typeof buildDeps>>;
let app: Hono;
let key: string;
let otherKey: string;

beforeAll(async () => {
  parts = await startIngestParts();
  const names = await provisionIngest(parts);
  deps = await buildDeps(parts, names, {
    settings: { maxBodyBytes: 64 * 1024, maxEventsPerBatch: 5, maxPayloadBytes: 2048 },
  });
  app = mountV1(deps);
  key = (
    await deps.keys.createKey({
      name: "ops",
      streams: ["ops", "modes-warn", "modes-enforce", "modes-required", "modes-off"],
    })
  ).apiKey;
  otherKey = (await deps.keys.createKey({ name: "other", streams: ["elsewhere"] })).apiKey;
});
afterAll(async () => {
  deps?.destroy();
  await parts?.stop();
});

const post = (payload: string, apiKey: string | undefined = key, headers: Record<string, string> = {}) =>
  app.request("/v1/events", {
    method: "POST",
    body: payload,
    headers: {
      "content-type": "application/json",
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...headers,
    },
  });
const get = (path: string, apiKey: string | undefined = key) =>
  app.request(path, { headers: apiKey ? { "x-api-key": apiKey } : {} });

describe("createIngestRoutes", () => {
  it("accepts, answers a repeat as a duplicate, serves the receipt, the stream and the public key", async () => {
    // Act
    const first = await post(body(event("ops", "op-1", { note: "preconf 42" }), event("ops", "op-2")));
    const repeat = await post(body(event("ops", "op-1", { note: "preconf 42" })));
    const [a] = ((await first.json()) as { results: { eventId: string; sequence: number; status: string }[] })
      .results;
    const receipt = (await (await get(`/v1/receipts/${a?.eventId}`)).json()) as SignedReceipt;
    const keys = (await (await get("/v1/keys", undefined)).json()) as { keys: { publicKey: string }[] };
    const page = (await (await get("/v1/events?stream=ops&after=1&limit=10")).json()) as {
      events: { sequence: number }[];
    };
    // Assess
    expect(first.status).toBe(200);
    expect(a).toMatchObject({ status: "accepted", sequence: 1 });
    expect(await repeat.json()).toEqual({
      results: [
        expect.objectContaining({
          status: "duplicate",
          eventId: a?.eventId,
          sequence: 1,
          idempotentHit: true,
        }),
      ],
    });
    expect(verifyReceipt(receipt, keys.keys[0]?.publicKey ?? "")).toBe(true);
    expect(page.events.map((e) => e.sequence)).toEqual([2]);
  });

  it.each([
    ["malformed JSON", () => post("{oops"), 400, "invalid_request", "body"],
    ["no events array", () => post('{"event":{}}'), 400, "invalid_request", "events"],
    [
      "a missing field",
      () => post(body({ stream: "ops", type: "t", payload: {} })),
      400,
      "invalid_request",
      "events[0].clientEventId",
    ],
    [
      "an over-limit body",
      () => post(JSON.stringify({ events: [], pad: "x".repeat(70_000) })),
      413,
      "limit_exceeded",
      "maxBodyBytes",
    ],
    [
      "an over-limit batch",
      () => post(body(...Array.from({ length: 6 }, (_, i) => event("ops", `b${i}`)))),
      413,
      "limit_exceeded",
      "maxEventsPerBatch",
    ],
    [
      "an over-limit payload",
      () => post(body(event("ops", "big", { x: "y".repeat(3000) }))),
      413,
      "limit_exceeded",
      "maxPayloadBytes",
    ],
    ["no key", () => post(body(event("ops", "k")), ""), 401, "unauthorized", "authorization"],
    [
      "a wrong key",
      () => post(body(event("ops", "k")), `tmk_0123456789abcdef_${"A".repeat(43)}`),
      401,
      "unauthorized",
      "authorization",
    ],
    ["a key for another stream", () => post(body(event("ops", "k")), otherKey), 403, "forbidden", "stream"],
    ["reading another stream", () => get("/v1/events?stream=elsewhere"), 403, "forbidden", "stream"],
    ["a bad limit", () => get("/v1/events?stream=ops&limit=0"), 400, "invalid_request", "limit"],
    ["an unknown receipt", () => get(`/v1/receipts/${"0".repeat(64)}`), 404, "not_found", "eventId"],
  ])("answers %s with its status and the field at fault", async (_, request, status, code, field) => {
    const response = await request();
    const json = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(response.status).toBe(status);
    expect(json.error).toMatchObject({ code, field });
    expect(json.error.message.length).toBeGreaterThan(10);
  });

  it("keeps the good events of a batch with a bad one", async () => {
    const response = await post(
      body(event("ops", "fine-1"), { stream: "ops", type: "t", clientEventId: "no-payload" }),
    );
    const { results } = (await response.json()) as {
      results: { status: string; error?: { field: string } }[];
    };
    expect(response.status).toBe(200);
    expect(results.map((r) => r.status)).toEqual(["accepted", "rejected"]);
    expect(results[1]?.error?.field).toBe("events[1].payload");
  });

  it("refuses a burst past the key's bucket with 429 and Retry-After, and a revoked key with 401", async () => {
    // Prepare: a key with a burst of 3 and one token per 10 s.
    const { apiKey, record } = await deps.keys.createKey({
      name: "tight",
      streams: ["ops"],
      ratePerSecond: 0.1,
      burst: 3,
    });
    // Act
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const response = await get("/v1/events?stream=ops", apiKey);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    await deps.keys.revokeKey(record.keyId);
    const revoked = await get("/v1/events?stream=ops", apiKey);
    // Assess
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const limitedBody = (await limited?.json()) as { error: { code: string } } | undefined;
    expect(limitedBody?.error.code).toBe("rate_limited");
    expect(revoked.status).toBe(401);
    expect((await deps.keys.listKeys()).find((k) => k.keyId === record.keyId)?.revokedAt).toBeDefined();
  });
});

describe("createIngestRoutes schema modes", () => {
  const schema = {
    type: "object",
    properties: { amount: { type: "integer", minimum: 0 } },
    required: ["amount"],
    additionalProperties: false,
  };
  const statusesOf = async (stream: string) => {
    const response = await post(
      body(
        event(stream, `${stream}-good`, { amount: 5 }, "payment"),
        event(stream, `${stream}-bad`, { amount: -1 }, "payment"),
        event(stream, `${stream}-untyped`, { anything: true }, "free-text"),
      ),
    );
    return (
      (await response.json()) as {
        results: { status: string; warnings?: string[]; error?: { code: string } }[];
      }
    ).results;
  };

  it("disabled accepts all; warn accepts and records; enforce rejects failures; required also rejects types without a schema", async () => {
    // Prepare
    await deps.schemas.putSchema("payment", schema);
    for (const [stream, mode] of [
      ["modes-off", "disabled"],
      ["modes-warn", "warn"],
      ["modes-enforce", "enforce"],
      ["modes-required", "required"],
    ] as const) {
      await deps.schemas.setStreamMode(stream, mode);
    }
    // Act
    const off = await statusesOf("modes-off");
    const warn = await statusesOf("modes-warn");
    const enforce = await statusesOf("modes-enforce");
    const required = await statusesOf("modes-required");
    const stored = (await (await get("/v1/events?stream=modes-warn")).json()) as {
      events: { schemaViolations?: string[] }[];
    };
    // Assess
    expect(off.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(warn.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(warn[1]?.warnings?.join()).toMatch(/amount must be >= 0/);
    expect(stored.events[1]?.schemaViolations?.join()).toMatch(/amount must be >= 0/);
    expect(enforce.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
    expect(enforce[1]?.error?.code).toBe("schema_violation");
    expect(required.map((r) => r.status)).toEqual(["accepted", "rejected", "rejected"]);
    expect(required[2]?.error?.code).toBe("schema_violation");
  });

  it("stores, lists and replaces schemas, and refuses one ajv cannot compile", async () => {
    const first = await deps.schemas.putSchema("receipt-note", { type: "string" });
    const second = await deps.schemas.putSchema("receipt-note", { type: "string", maxLength: 5 });
    await expect(deps.schemas.putSchema("broken", { type: "strin" })).rejects.toMatchObject({
      code: "invalid_schema",
    });
    expect([first.version, second.version]).toEqual([1, 2]);
    expect((await deps.schemas.getSchema("receipt-note"))?.schema).toEqual({
      type: "string",
      maxLength: 5,
    });
    expect((await deps.schemas.listSchemas()).map((s) => s.eventType)).toEqual(
      expect.arrayContaining(["payment", "receipt-note"]),
    );
    expect(await deps.schemas.getSchema("broken")).toBeUndefined();
  });
});
