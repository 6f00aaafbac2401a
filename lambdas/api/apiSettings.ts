import * as z from "zod/mini";
import { ConfigError } from "../shared/errors.js";
import { type Env, type IntegerBounds, resolveIntegerSettings } from "../shared/readConfig.js";

/** Settings of the HTTP API, validated once (cold start or server start). */
export interface ApiSettings {
  /** Requests per client per minute; 0 turns the limit off. */
  readonly rateLimitPerMinute: number;
  /** Origins allowed by CORS; `*` allows any; empty sends no CORS headers. */
  readonly corsOrigins: readonly string[];
  /** The widest `created[gte]`…`created[lt]` window a request may ask for; wider ones are clamped to the latest part. */
  readonly maxRangeSeconds: number;
  /** The window used when a request gives no `created[gte]`. */
  readonly defaultRangeSeconds: number;
  /** How often the dashboard page polls `dashboard-data`. */
  readonly dashboardPollMs: number;
  /** Each dependency check of /health and /ready fails after this long. */
  readonly checkTimeoutMs: number;
  /** Concurrent `/v1/sse/events` connections per instance; more get 503. */
  readonly sseMaxConnections: number;
  /** A comment line is sent after this long without an event, so proxies keep the stream open. */
  readonly sseHeartbeatMs: number;
  /** How often a caught-up stream looks for new events in the log. */
  readonly ssePollMs: number;
  /** A client whose socket accepts no write for this long is dropped (reason `slow_client`). */
  readonly sseSlowClientMs: number;
  /**
   * Seconds a `/v1` answer is reused for the same endpoint and parameters (windows equal to within
   * this many seconds count as the same); 0 computes every answer. On AWS it bounds Athena scans.
   */
  readonly cacheTtlSeconds: number;
}

/** The environment variables the API reads, one home for their names (the CDK construct sets them). */
export const API_ENV = {
  rateLimitPerMinute: "API_RATE_LIMIT_PER_MINUTE",
  corsOrigins: "API_CORS_ORIGINS",
  maxRangeSeconds: "API_MAX_RANGE_SECONDS",
  defaultRangeSeconds: "API_DEFAULT_RANGE_SECONDS",
  dashboardPollMs: "API_DASHBOARD_POLL_MS",
  checkTimeoutMs: "API_CHECK_TIMEOUT_MS",
  sseMaxConnections: "API_SSE_MAX_CONNECTIONS",
  sseHeartbeatMs: "API_SSE_HEARTBEAT_MS",
  ssePollMs: "API_SSE_POLL_MS",
  sseSlowClientMs: "API_SSE_SLOW_CLIENT_MS",
  cacheTtlSeconds: "API_CACHE_TTL_SECONDS",
} as const satisfies { readonly [K in keyof ApiSettings]: string };

export const DEFAULT_API_SETTINGS: ApiSettings = {
  rateLimitPerMinute: 600,
  corsOrigins: [],
  maxRangeSeconds: 7 * 24 * 3600,
  defaultRangeSeconds: 24 * 3600,
  dashboardPollMs: 5000,
  checkTimeoutMs: 2000,
  sseMaxConnections: 1000,
  sseHeartbeatMs: 15_000,
  ssePollMs: 250,
  sseSlowClientMs: 5000,
  cacheTtlSeconds: 0,
};

const count = (max: number): IntegerBounds => [0, max];
const positive = (max: number): IntegerBounds => [1, max];
const Origins = z.array(z.string().check(z.regex(/^(\*|https?:\/\/[^\s/]+)$/)));

const INTEGER_BOUNDS = {
  rateLimitPerMinute: count(1_000_000),
  // Up to ~68 years: a whole chain history in one window (tests, backfilled archives).
  maxRangeSeconds: positive(2 ** 31 - 1),
  defaultRangeSeconds: positive(366 * 24 * 3600),
  dashboardPollMs: [250, 600_000],
  checkTimeoutMs: positive(60_000),
  sseMaxConnections: positive(100_000),
  sseHeartbeatMs: positive(600_000),
  ssePollMs: positive(60_000),
  sseSlowClientMs: positive(600_000),
  cacheTtlSeconds: count(3600),
} as const satisfies { readonly [K in Exclude<keyof ApiSettings, "corsOrigins">]: IntegerBounds };

/**
 * Defaults merged with the caller's overrides, every value checked; the first
 * bad one throws ConfigError naming it (its environment variable when it came
 * from there).
 */
export function resolveApiSettings(
  overrides: Partial<ApiSettings> = {},
  names: { readonly [K in keyof ApiSettings]?: string } = {},
): ApiSettings {
  return settingsOf(overrides, {}, names);
}

/** Reads the API_* variables (absent ones keep their defaults). */
export function readApiSettings(env: Env): ApiSettings {
  return settingsOf({}, env, API_ENV);
}

function settingsOf(
  overrides: Partial<ApiSettings>,
  env: Env,
  names: { readonly [K in keyof ApiSettings]?: string },
): ApiSettings {
  const merged = { ...DEFAULT_API_SETTINGS, ...withoutUndefined(overrides) };
  const origins = names.corsOrigins === undefined ? undefined : env[names.corsOrigins];
  if (origins !== undefined && origins.trim() !== "") {
    merged.corsOrigins = origins
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  if (!Origins.safeParse(merged.corsOrigins).success) {
    throw new ConfigError(
      names.corsOrigins ?? "corsOrigins",
      `invalid value ${JSON.stringify(merged.corsOrigins)}`,
    );
  }
  const settings = { ...merged, ...resolveIntegerSettings(merged, INTEGER_BOUNDS, env, names) };
  if (settings.defaultRangeSeconds > settings.maxRangeSeconds) {
    throw new ConfigError(
      names.defaultRangeSeconds ?? "defaultRangeSeconds",
      `must not exceed the maximum range (${settings.maxRangeSeconds} s)`,
    );
  }
  return settings;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
