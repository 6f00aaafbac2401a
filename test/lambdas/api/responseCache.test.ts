import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponseCache } from "../../../lambdas/api/createResponseCache.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { getJson, seedApi, testApp, testClock } from "./helpers.js";

/** The seeded DuckDB, counting the statements that reach it (as Athena would bill them). */
function counted(db: SqlQueryable): SqlQueryable & { statements: number } {
  const wrapper = {
    dialect: db.dialect,
    statements: 0,
    query: <T>(sql: string, params?: readonly (string | number | bigint | boolean | null)[]) => {
      wrapper.statements++;
      return db.query<T>(sql, params);
    },
  };
  return wrapper;
}

describe("cached answers", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    await seedApi(sink);
  });
  afterAll(async () => {
    await sink.close();
  });

  // The dashboard asks for "the last 24 h" each poll: its created[gte] moves with the clock.
  const lastDay = (nowMs: number) =>
    `/v1/dashboard-data?created[gte]=${Math.floor(nowMs / 1000) - 86_400}&limit=300`;

  it("runs the dashboard's queries once per TTL, however often it polls", async () => {
    // Prepare
    const db = counted(sink);
    const clock = testClock(1_800_000_000_000); // on a 60 s boundary
    const app = testApp(db, { clock, settings: { cacheTtlSeconds: 60 } });
    // Act
    const first = await getJson(app, lastDay(clock.nowMs()));
    const perView = db.statements;
    const bodies = [];
    for (let i = 0; i < 11; i++) {
      clock.advance(5000); // 11 polls, 5 s apart: all within the minute
      bodies.push((await getJson(app, lastDay(clock.nowMs()))).body);
    }
    const withinTtl = db.statements;
    clock.advance(5000); // the next minute
    await getJson(app, lastDay(clock.nowMs()));
    // Assess
    expect(first.status).toBe(200);
    expect(perView).toBeGreaterThan(10); // every card and chart is its own statement
    expect(withinTtl).toBe(perView);
    // The numbers are the minute's; the window reported is the one each poll asked for.
    for (const body of bodies) expect({ ...body, range: first.body.range }).toEqual(first.body);
    expect(bodies.map((b) => b.range.gte)).toEqual(
      Array.from({ length: 11 }, (_, i) => first.body.range.gte + 5 * (i + 1)),
    );
    expect(db.statements).toBe(2 * perView);
  });

  it("keeps answers apart per endpoint and parameters", async () => {
    // Prepare
    const db = counted(sink);
    const app = testApp(db, { clock: testClock(1_800_000_000_000), settings: { cacheTtlSeconds: 60 } });
    // Act
    const a = await getJson(app, "/v1/l2-blocks?created[gte]=0&limit=2");
    const afterA = db.statements;
    const b = await getJson(app, "/v1/l2-blocks?created[gte]=0&limit=3");
    const afterB = db.statements;
    const c = await getJson(app, "/v1/batches?created[gte]=0&limit=2");
    const afterC = db.statements;
    const again = await getJson(app, "/v1/l2-blocks?created[gte]=0&limit=2");
    // Assess
    expect(a.body.items).toHaveLength(2);
    expect(b.body.items).toHaveLength(3);
    expect(c.body.items[0]).toHaveProperty("batchId");
    expect(again.body).toEqual(a.body);
    expect(afterB).toBeGreaterThan(afterA);
    expect(afterC).toBeGreaterThan(afterB);
    expect(db.statements).toBe(afterC);
  });

  it("computes every answer when the TTL is 0 (the local default)", async () => {
    // Prepare
    const db = counted(sink);
    const app = testApp(db, { clock: testClock(1_800_000_000_000) });
    // Act
    await getJson(app, "/v1/l2-head");
    await getJson(app, "/v1/l2-head");
    // Assess
    expect(db.statements).toBe(2);
  });

  it("shares one computation among concurrent misses and keeps no failure", async () => {
    // Prepare
    let now = 0;
    const cache = createResponseCache({ ttlMs: 1000, nowMs: () => now });
    let runs = 0;
    const slow = () =>
      new Promise<number>((resolve) => {
        runs++;
        setTimeout(() => resolve(runs), 10);
      });
    // Act
    const answers = await Promise.all([1, 2, 3].map(() => cache.get("k", slow)));
    const failed = await cache.get("f", () => Promise.reject(new Error("store down"))).catch((e: Error) => e);
    const retried = await cache.get("f", async () => "up");
    now = 1000;
    const expired = await cache.get("k", slow);
    // Assess
    expect(answers).toEqual([1, 1, 1]);
    expect((failed as Error).message).toBe("store down");
    expect(retried).toBe("up");
    expect(expired).toBe(2);
  });

  it("with a data version, reuses an answer exactly while the version holds and never one computed across a write", async () => {
    // Prepare
    let version: string | undefined = "1";
    const cache = createResponseCache({ ttlMs: 0, nowMs: () => 0, dataVersion: async () => version });
    let runs = 0;
    const compute = async () => ++runs;
    // Act
    const first = await cache.get("k", compute);
    const reused = await cache.get("k", compute); // a TTL of 0 does not apply
    version = "2";
    const afterWrite = await cache.get("k", compute);
    const acrossWrite = await cache.get("j", async () => {
      version = "3"; // a write commits while the statements run
      return ++runs;
    });
    await new Promise((r) => setTimeout(r, 0));
    const recomputed = await cache.get("j", compute);
    version = undefined; // a write in flight
    const inFlight = [await cache.get("k", compute), await cache.get("k", compute)];
    // Assess
    expect([first, reused, afterWrite]).toEqual([1, 1, 2]);
    expect(acrossWrite).toBe(3);
    expect(recomputed).toBe(4);
    expect(inFlight).toEqual([5, 6]);
  });
});
