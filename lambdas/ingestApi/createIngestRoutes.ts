import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, errorBody, InvalidRequestError, LimitExceededError } from "../api/errors.js";
import { IngestApiMetric } from "../shared/metricNames.js";
import { type AcceptEventsDependencies, acceptEvents, type EventResult } from "./acceptEvents.js";
import { STREAM_PATTERN } from "./apiEventMessage.js";
import { type ApiKeyRecord, type ApiKeys, authorizeStream } from "./apiKeys.js";
import type { CommitmentStore } from "./commitmentStore.js";
import type { TokenBucketLimiter } from "./createTokenBucketLimiter.js";
import {
  asDependencyThrottle,
  DependencyThrottledError,
  THROTTLE_RETRY_AFTER_SECONDS,
} from "./dependencyThrottled.js";
import type { EventStore } from "./eventStore.js";
import type { OutboxRecord } from "./outboxRecord.js";
import { parseEventBatch } from "./parseEventBatch.js";

export interface IngestRoutesDependencies extends AcceptEventsDependencies {
  readonly keys: ApiKeys;
  readonly limiter: TokenBucketLimiter;
  readonly events: EventStore;
  readonly commitments: CommitmentStore;
}

type Env = { Variables: { apiKey: ApiKeyRecord } };

/**
 * The ingest API's routes as a Hono sub-app, for the /v1 app to mount: `app.route("/v1", routes)`.
 * Paths are relative: POST /events, GET /events, GET /receipts/:eventId, GET /proofs/:eventId,
 * GET /keys. Errors answer `{ error: { code, message, field? } }`; 429 and 503 carry Retry-After, and a
 * dependency's throttle answers 503 `dependency_throttled` with `error.dependency` (DynamoDB, SQS, S3).
 */
export function createIngestRoutes(deps: IngestRoutesDependencies): Hono<Env> {
  const app = new Hono<Env>();
  app.onError((error, c) => errorResponse(c, error));
  // Every answered 5xx counted (onError has already turned a failure into its answer here): the function
  // succeeds on them, so only this metric makes them visible to an alarm.
  app.use(async (c, next) => {
    await next();
    if (c.res.status >= 500) deps.metrics?.addMetric(IngestApiMetric.ServerErrors, MetricUnit.Count, 1);
  });

  // Authenticate, then spend a token: an unauthenticated flood never drains a real key's bucket.
  const authenticated = async (c: Context<Env>, next: () => Promise<void>) => {
    const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "");
    const key = await deps.keys.authenticate(bearer ?? c.req.header("x-api-key"));
    deps.limiter.take(key.keyId, key);
    c.set("apiKey", key);
    await next();
  };

  app.post(
    "/events",
    authenticated,
    bodyLimit({
      maxSize: deps.settings.maxBodyBytes,
      onError: (c) => {
        const size = Number(c.req.header("content-length") ?? Number.NaN);
        const max = deps.settings.maxBodyBytes;
        return errorResponse(
          c,
          new LimitExceededError(
            413,
            "maxBodyBytes",
            max,
            Number.isFinite(size) ? size : max + 1,
            "the body in bytes",
          ),
        );
      },
    }),
    async (c) => {
      const parsed = parseEventBatch(await c.req.text(), deps.settings);
      // The whole request is refused when any event names a stream the key may not use.
      for (const p of parsed) {
        const stream = p.ok ? p.event.stream : p.stream;
        if (stream !== undefined) authorizeStream(c.get("apiKey"), stream);
      }
      const { results } = await acceptEvents(deps, parsed);
      return c.json(...batchResponse(results));
    },
  );

  app.get("/events", authenticated, async (c) => {
    const stream = c.req.query("stream");
    if (stream === undefined || !STREAM_PATTERN.test(stream)) {
      throw new InvalidRequestError(`stream is required and must match ${STREAM_PATTERN}`, {
        field: "stream",
      });
    }
    authorizeStream(c.get("apiKey"), stream);
    const after = intParam(c.req.query("after"), "after", 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c.req.query("limit"), "limit", 100, 1, 1000);
    const events = await deps.events.readEvents(stream, after, limit);
    const last = events.at(-1)?.sequence;
    return c.json({ stream, events: events.map(toApiEvent), ...(last === undefined ? {} : { next: last }) });
  });

  app.get("/receipts/:eventId", authenticated, async (c) => {
    const event = await deps.events.getEvent(c.req.param("eventId") ?? "");
    authorizeStream(c.get("apiKey"), event.stream);
    return c.json(event.receipt);
  });

  app.get("/proofs/:eventId", authenticated, async (c) => {
    const proof = await deps.commitments.inclusionProof(c.req.param("eventId") ?? "");
    authorizeStream(c.get("apiKey"), proof.receipt.stream);
    return c.json(proof);
  });

  // Public: verifiers fetch the key once and keep it.
  app.get("/keys", (c) =>
    c.json({
      keys: [{ alg: "ed25519", publicKey: deps.signer.publicKeyHex, use: ["receipts", "commitments"] }],
    }),
  );
  return app;
}

/**
 * 200 when any event was accepted or is a duplicate; otherwise the status of the first rejection
 * (400, or 413 for a payload over its limit), with every event's result beside the error.
 */
function batchResponse(results: EventResult[]): [unknown, 200 | 400 | 413] {
  if (results.some((r) => r.status !== "rejected")) return [{ results }, 200];
  const first = results[0] as Extract<EventResult, { status: "rejected" }>;
  return [{ error: first.error, results }, first.error.code === "limit_exceeded" ? 413 : 400];
}

function toApiEvent(e: OutboxRecord) {
  return {
    sequence: e.sequence,
    eventId: e.eventId,
    type: e.eventType,
    clientEventId: e.clientEventId,
    acceptedAt: e.receipt.acceptedAt,
    payloadSha256: e.receipt.payloadSha256,
    ...(e.payloadJson === undefined ? {} : { payload: JSON.parse(e.payloadJson) as unknown }),
    ...(e.payloadRef === undefined ? {} : { payloadRef: e.payloadRef }),
    ...(e.schemaViolations.length > 0 ? { schemaViolations: e.schemaViolations } : {}),
  };
}

function intParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new InvalidRequestError(`${name} must be an integer in [${min}, ${max}]`, { field: name });
  }
  return value;
}

function errorResponse(c: Context, failure: unknown): Response {
  // A throttle from DynamoDB, SQS or S3 (the SDK's retries spent) is a 503 naming it, not a 500.
  const error = asDependencyThrottle(failure) ?? failure;
  if (error instanceof ApiError) {
    // Every 429 and 503 says when to come back: the same request then is safe (idempotent).
    if (error.status === 429 || error.status === 503) {
      const wait =
        "retryAfterSeconds" in error ? Number(error.retryAfterSeconds) : THROTTLE_RETRY_AFTER_SECONDS;
      c.header("Retry-After", String(wait));
    }
    const dependency = error instanceof DependencyThrottledError ? { dependency: error.dependency } : {};
    return c.json({ error: { ...errorBody(error), ...dependency } }, error.status);
  }
  // Unknown failures: no internals in the answer; the caller may retry (idempotency makes it safe).
  console.error("ingest API internal error", error);
  return c.json(
    { error: { code: "internal", message: "internal error; retrying the same request is safe" } },
    500,
  );
}
