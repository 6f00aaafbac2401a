import type { Hono } from "hono";
import { type ApiSettings, resolveApiSettings } from "../../../lambdas/api/apiSettings.js";
import { type ApiAppDependencies, createApiApp } from "../../../lambdas/api/createApiApp.js";
import type { Sink } from "../../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { l1Header, record } from "../../support/events.js";
import { seedChainMetrics } from "../queries/chainMetricsSeed.js";

/** Every fact of the seed lies in [0, 1.8e9]: a window covering all of it. */
export const ALL = "created[gte]=0&created[lt]=1800000001";

/** The fixed "now" of the app under test (after every seeded fact). */
export const NOW_MS = 1_800_000_100_000;

/**
 * The chain-metrics seed (see test/lambdas/queries/chainMetricsSeed.ts for the
 * hand-computed story) plus L1 headers 18–22 (block 20 is orphaned by the
 * seed's L1 reorg), so both heads exist.
 */
export async function seedApi(sink: Sink): Promise<void> {
  await seedChainMetrics(sink);
  await sink.write([18, 19, 20, 21, 22].map((n) => record(l1Header(n))));
}

export interface TestClock {
  nowMs(): number;
  advance(ms: number): void;
}

export function testClock(start = NOW_MS): TestClock {
  let now = start;
  return { nowMs: () => now, advance: (ms) => (now += ms) };
}

export function testApp(
  db: SqlQueryable,
  over: Partial<Omit<ApiAppDependencies, "settings">> & { settings?: Partial<ApiSettings> } = {},
): Hono {
  const { settings, ...rest } = over;
  return createApiApp({
    db,
    version: "test",
    clock: testClock(),
    settings: resolveApiSettings({ maxRangeSeconds: 2_000_000_000, rateLimitPerMinute: 0, ...settings }),
    logError: () => {},
    ...rest,
  });
}

/** A parsed JSON answer: the tests assert on its shape, so it is left loose on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions, not the compiler
export type Json = any;

/** GET a path; the status and the parsed JSON body. */
export async function getJson<T = Json>(
  app: Hono,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await app.request(path, { headers });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** Every item of a paginated list, following nextCursor with `limit` per page. */
export async function allPages<T>(app: Hono, path: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const sep = path.includes("?") ? "&" : "?";
    const { status, body }: { status: number; body: Json } = await getJson(
      app,
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    if (status !== 200) throw new Error(`${path}: HTTP ${status} ${JSON.stringify(body)}`);
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error("pagination did not end");
}
