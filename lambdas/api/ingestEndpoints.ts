import { openApiErrorResponse } from "./errors.js";

/**
 * The ingest API's routes (lambdas/ingestApi/createIngestRoutes.ts) as the OpenAPI document describes
 * them. createApiApp mounts those routes when it is given their dependencies; a test checks that the
 * app's routes and this list name the same method + path pairs, so the document cannot drift.
 */
export interface IngestEndpoint {
  readonly method: "get" | "post";
  /** Hono's form (`:eventId`); the document writes `{eventId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** False for the public key: every other route needs an API key. */
  readonly authenticated: boolean;
  readonly query?: readonly { name: string; description: string; schema: object; required?: boolean }[];
  readonly errors: readonly (400 | 401 | 403 | 404 | 413 | 429 | 503)[];
}

const AUTH_ERRORS = [401, 403, 429, 503] as const;

export const INGEST_ENDPOINTS: readonly IngestEndpoint[] = [
  {
    method: "post",
    path: "/v1/events",
    operationId: "postEvents",
    summary: "Accept a batch of events: one result per event, in order",
    description:
      'Body `{ "events": [{ stream, type, clientEventId, payload }] }`. Each result is `accepted` (eventId, sequence, acceptedAt, signed receipt, warnings in `warn` mode), `duplicate` (the first eventId, sequence and acceptedAt, `idempotentHit: true`) or `rejected` (`error`). 200 when any event is accepted or a duplicate; else 400, or 413 naming the limit (`maxBodyBytes`, `maxEventsPerBatch`, `maxPayloadBytes`). 503 `dependency_throttled` (with `error.dependency`: DynamoDB, SQS or S3) or `unavailable`, and 429, carry `Retry-After`. Retrying the same request is always safe: what was accepted keeps its eventId and sequence.',
    authenticated: true,
    errors: [400, 413, ...AUTH_ERRORS],
  },
  {
    method: "get",
    path: "/v1/events",
    operationId: "listStreamEvents",
    summary: "A stream's events in sequence order, from the ingest table",
    description:
      "`{ stream, events, next }`: events with sequence > `after`, gap-free; pass `next` as `after` for the following page.",
    authenticated: true,
    query: [
      { name: "stream", description: "The stream", schema: { type: "string" }, required: true },
      {
        name: "after",
        description: "Return events after this sequence (default 0)",
        schema: { type: "integer", minimum: 0 },
      },
      {
        name: "limit",
        description: "At most this many (default 100)",
        schema: { type: "integer", minimum: 1, maximum: 1000 },
      },
    ],
    errors: [400, ...AUTH_ERRORS],
  },
  {
    method: "get",
    path: "/v1/receipts/:eventId",
    operationId: "getReceipt",
    summary: "The Ed25519-signed receipt of an accepted event",
    authenticated: true,
    errors: [404, ...AUTH_ERRORS],
  },
  {
    method: "get",
    path: "/v1/proofs/:eventId",
    operationId: "getInclusionProof",
    summary: "Inclusion proof of an event in its stream's signed, anchored Merkle commitment",
    description: "404 until the event's range is committed (every N events or T seconds per stream).",
    authenticated: true,
    errors: [404, ...AUTH_ERRORS],
  },
  {
    method: "get",
    path: "/v1/keys",
    operationId: "getSigningKeys",
    summary: "The public key receipts and commitments are signed with",
    authenticated: false,
    errors: [429],
  },
];

/** `/v1/receipts/:eventId` → `/v1/receipts/{eventId}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** The security schemes the ingest routes accept: the same key as a bearer token or in `x-api-key`. */
export const INGEST_SECURITY_SCHEMES = {
  bearerKey: { type: "http", scheme: "bearer", description: "An API key `tmk_…` (tidemark keys create)" },
  headerKey: { type: "apiKey", in: "header", name: "x-api-key" },
};

/** The OpenAPI path items of the ingest routes. */
export function ingestOpenApiPaths(endpoints: readonly IngestEndpoint[]): Record<string, object> {
  const paths: Record<string, Record<string, object>> = {};
  for (const e of endpoints) {
    const path = openApiPath(e.path);
    const pathParams = [...e.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = (e.query ?? []).map((q) => ({ in: "query", required: q.required ?? false, ...q }));
    const errors = Object.fromEntries(
      e.errors.map((status) => [String(status), openApiErrorResponse(status)]),
    );
    paths[path] ??= {};
    (paths[path] as Record<string, object>)[e.method] = {
      operationId: e.operationId,
      tags: ["ingest"],
      summary: e.summary,
      ...(e.description === undefined ? {} : { description: e.description }),
      ...(e.authenticated ? { security: [{ bearerKey: [] }, { headerKey: [] }] } : {}),
      parameters: [...pathParams, ...query],
      ...(e.method === "post"
        ? { requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } } }
        : {}),
      responses: { "200": { description: "JSON" }, ...errors },
    };
  }
  return paths;
}
