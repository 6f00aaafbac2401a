import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { createIngestRoutes, type IngestRoutesDependencies } from "../ingestApi/createIngestRoutes.js";
import { TidemarkError } from "../shared/errors.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import { answerCacheKey, createRecordedTimeBounds } from "./answerCacheKey.js";
import { API_ENDPOINTS, type ApiEndpoint } from "./apiEndpoints.js";
import { type ApiQuery, parseApiQuery } from "./apiParams.js";
import type { ApiSettings } from "./apiSettings.js";
import { buildOpenApiDocument } from "./buildOpenApiDocument.js";
import { createCardCache } from "./createCardCache.js";
import { createRateLimiter } from "./createRateLimiter.js";
import { createResponseCache } from "./createResponseCache.js";
import { DOCS_PAGE_HTML } from "./docsPage.js";
import { ApiError, errorBody, NotFoundError, RateLimitedError } from "./errors.js";
import { INGEST_ENDPOINTS } from "./ingestEndpoints.js";
import { type DependencyCheck, runHealthChecks } from "./runHealthChecks.js";
import type { EventLog } from "./stream/EventLog.js";
import { registerEventStream } from "./stream/streamEvents.js";
import { createStreamStats, type StreamStats } from "./stream/streamStats.js";

export interface ApiClock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** The default end of a query's time window, if not now (a devnet's chain time runs ahead of the wall clock). @default nowMs */
  windowEndMs?(): number;
}

export interface ApiAppDependencies {
  /** The sink's SQL (canonical views), DuckDB or ClickHouse dialect. */
  readonly db: SqlQueryable;
  readonly settings: ApiSettings;
  /** Reported by /health and in the OpenAPI document. */
  readonly version: string;
  /** @default the system clock */
  readonly clock?: ApiClock;
  /** Dependency checks besides the sink's own (`sink` is always checked): DynamoDB, the queue, each RPC… */
  readonly checks?: Readonly<Record<string, DependencyCheck>>;
  /** The built dashboard page (buildDashboardPage); without it `/` answers 404. */
  readonly dashboardHtml?: string;
  /** Who a request counts against for the rate limit. @default the first X-Forwarded-For address */
  readonly clientIdOf?: (c: Context) => string;
  /** The ordered event log behind `/v1/sse/events`; without it the stream route is absent. */
  readonly eventLog?: EventLog;
  /** The stream's counters, when the runtime shares them with a WebSocket server. @default new ones */
  readonly streamStats?: StreamStats;
  /** Cuts a stream connection whose client stopped reading (runtime-specific). */
  readonly dropConnection?: (c: Context) => void;
  /** Where unexpected errors are reported. @default console.error */
  readonly logError?: (error: unknown) => void;
  /** The ingest API (POST/GET /v1/events, receipts, proofs, keys); without it those routes are absent. */
  readonly ingest?: IngestRoutesDependencies;
}

/** Placeholder in the dashboard page replaced by its settings (poll interval) when served. */
export const DASHBOARD_CONFIG_PLACEHOLDER = "__TIDEMARK_DASHBOARD_CONFIG__";

/**
 * The one HTTP app of the serving side: the `/v1` JSON API, its OpenAPI
 * document and docs page, /health and /ready, and the dashboard page. The
 * Lambda adapter (handler.ts) and the local server (serveLocal.ts) both run it.
 */
export function createApiApp(deps: ApiAppDependencies): Hono {
  const clock = deps.clock ?? { nowMs: () => Date.now() };
  const startedAtMs = clock.nowMs();
  const { settings } = deps;
  const logError = deps.logError ?? ((e: unknown) => console.error(e));
  const clientIdOf = deps.clientIdOf ?? defaultClientId;
  const checks: Record<string, DependencyCheck> = {
    sink: () => deps.db.query("SELECT 1 AS ok"),
    ...(deps.ingest ? { ingestTable: () => (deps.ingest as IngestRoutesDependencies).events.head("-") } : {}),
    ...deps.checks,
  };
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ApiError) {
      if (error instanceof RateLimitedError) c.header("Retry-After", String(error.retryAfterSeconds));
      return c.json({ error: errorBody(error) }, error.status);
    }
    logError(error);
    if (error instanceof TidemarkError && error.retryable) {
      return c.json(
        { error: { code: "unavailable", message: "the store is unavailable; retry later" } },
        503,
      );
    }
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  });
  app.notFound((c) => {
    const e = new NotFoundError(`no route ${c.req.method} ${c.req.path}`);
    return c.json({ error: errorBody(e) }, 404);
  });

  if (settings.corsOrigins.length > 0) {
    const origins = [...settings.corsOrigins];
    app.use(
      "*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        // POST only where events can be posted; request headers (authorization, x-api-key) are reflected.
        allowMethods: deps.ingest ? ["GET", "POST", "OPTIONS"] : ["GET", "OPTIONS"],
        exposeHeaders: ["Retry-After"],
        maxAge: 600,
      }),
    );
  }
  if (settings.rateLimitPerMinute > 0) {
    const limiter = createRateLimiter({ perMinute: settings.rateLimitPerMinute, nowMs: clock.nowMs });
    app.use("/v1/*", async (c, next) => {
      // Posting events is limited per API key (the ingest routes' token buckets), not per address.
      if (deps.ingest && c.req.method === "POST" && c.req.path === "/v1/events") return next();
      const verdict = limiter.take(clientIdOf(c));
      if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
      await next();
    });
  }

  const stream: StreamStats | undefined =
    deps.eventLog === undefined ? undefined : (deps.streamStats ?? createStreamStats());
  if (deps.eventLog && stream) {
    registerEventStream(app, {
      log: deps.eventLog,
      settings,
      stats: stream,
      dropConnection: deps.dropConnection,
    });
  }
  const health = async () => ({
    ...(await runHealthChecks({
      checks,
      version: deps.version,
      startedAtMs,
      nowMs: clock.nowMs,
      timeoutMs: settings.checkTimeoutMs,
    })),
    ...(stream === undefined
      ? {}
      : { stream: { ...stream.snapshot(), maxConnections: settings.sseMaxConnections } }),
  });
  app.get("/health", async (c) => c.json(await health()));
  app.get("/ready", async (c) => {
    const report = await health();
    return c.json(report, report.status === "healthy" ? 200 : 503);
  });

  const openApi = buildOpenApiDocument(API_ENDPOINTS, deps.version, deps.ingest ? INGEST_ENDPOINTS : []);
  if (deps.ingest) app.route("/v1", createIngestRoutes(deps.ingest));
  app.get("/v1/openapi.json", (c) => c.json(openApi));
  app.get("/v1/docs", (c) => c.html(DOCS_PAGE_HTML));
  for (const endpoint of API_ENDPOINTS) app.get(endpoint.path, (c) => answer(c, endpoint));

  const page = deps.dashboardHtml?.replace(
    DASHBOARD_CONFIG_PLACEHOLDER,
    JSON.stringify({ pollMs: settings.dashboardPollMs }),
  );
  app.get("/", (c) => {
    if (page === undefined) throw new NotFoundError("the dashboard page is not built into this deployment");
    c.header("Cache-Control", "no-cache");
    return c.html(page);
  });

  const ttlSeconds = settings.cacheTtlSeconds;
  const dataVersion = deps.db.dataVersion?.bind(deps.db);
  // A store that versions its data is cached exactly (every instance, local too); others by TTL when set.
  const cache =
    dataVersion !== undefined || ttlSeconds > 0
      ? createResponseCache({ ttlMs: ttlSeconds * 1000, nowMs: clock.nowMs, dataVersion })
      : undefined;
  // A store that versions each table keeps an answer's parts too, while the tables each part read stand.
  const cards =
    dataVersion !== undefined && deps.db.tableVersions !== undefined
      ? createCardCache({ db: deps.db })
      : undefined;

  const recordedTimeBounds = createRecordedTimeBounds(deps.db);

  async function answer(c: Context, endpoint: ApiEndpoint) {
    const q = parseApiQuery(
      c.req.query(),
      endpoint.params,
      Math.floor((clock.windowEndMs ?? clock.nowMs)() / 1000),
      settings,
    );
    const key = cache === undefined ? undefined : await keyOf(endpoint.path, q);
    const run = async () => {
      const parts = key === undefined ? undefined : cards?.forAnswer(key);
      try {
        return await endpoint.run(deps.db, q, parts);
      } finally {
        await parts?.settle();
      }
    };
    const body = cache === undefined || key === undefined ? await run() : await cache.get(key, run);
    if (body === null) throw new NotFoundError(`nothing recorded yet for ${endpoint.path}`);
    // A cached answer may have been computed for an equivalent window: the window reported is the one asked.
    if ("range" in body) return c.json({ ...body, range: q.range });
    return c.json(endpoint.params.includes("created[gte]") ? { range: q.range, ...body } : body);
  }

  async function keyOf(path: string, q: ApiQuery): Promise<string> {
    if (cache === undefined || dataVersion === undefined) return cacheKey(path, q, ttlSeconds);
    return answerCacheKey(path, q, await cache.get("recorded-time-bounds", recordedTimeBounds));
  }

  return app;
}

/** Keyed by endpoint and validated parameters, the window in TTL-sized steps: a dashboard asking "the last 24 h" every few seconds gets one computed answer per TTL, not one scan per view. */
function cacheKey(path: string, q: ApiQuery, ttlSeconds: number): string {
  const step = (t: number) => Math.floor(t / ttlSeconds);
  const range = { gte: step(q.range.gte), lt: step(q.range.lt), clamped: q.range.clamped };
  return `${path}?${JSON.stringify({ ...q, range })}`;
}

function defaultClientId(c: Context): string {
  return c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
}
