import * as z from "zod/mini";
import type { ApiEndpoint } from "./apiEndpoints.js";
import { API_PARAMS } from "./apiParams.js";
import { openApiErrorResponse } from "./errors.js";
import { INGEST_SECURITY_SCHEMES, type IngestEndpoint, ingestOpenApiPaths } from "./ingestEndpoints.js";

const HEALTH = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["healthy", "unhealthy"] },
    version: { type: "string" },
    uptimeSeconds: { type: "integer" },
    timestamp: { type: "string", format: "date-time" },
    checks: {
      type: "object",
      additionalProperties: {
        type: "object",
        properties: {
          status: { type: "string", enum: ["up", "down"] },
          responseTimeMs: { type: "number" },
          error: { type: "string" },
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document of the API, built from the same endpoint list the app registers. */
export function buildOpenApiDocument(
  endpoints: readonly ApiEndpoint[],
  version: string,
  /** The ingest routes, when the app mounts them. */
  ingest: readonly IngestEndpoint[] = [],
): object {
  const paths: Record<string, object> = {};
  for (const e of endpoints) {
    paths[e.path] = {
      get: {
        operationId: e.operationId,
        tags: [e.tag],
        summary: e.summary,
        ...(e.description === undefined ? {} : { description: e.description }),
        parameters: e.params.map((name) => {
          const { $schema: _, ...schema } = z.toJSONSchema(API_PARAMS[name].schema) as Record<
            string,
            unknown
          >;
          return { name, in: "query", required: false, description: API_PARAMS[name].description, schema };
        }),
        responses: {
          "200": { description: "JSON; lists are `{ items, nextCursor }`, newest first" },
          "400": openApiErrorResponse(400),
          ...(e.params.length === 0 ? { "404": openApiErrorResponse(404) } : {}),
          "429": openApiErrorResponse(429),
        },
      },
    };
  }
  for (const [path, summary] of [
    ["/health", "Liveness: status, version, uptime and each dependency check (always 200)"],
    ["/ready", "Readiness: as /health, 503 when a dependency is down"],
  ] as const) {
    paths[path] = {
      get: {
        operationId: path === "/health" ? "getHealth" : "getReady",
        tags: ["operations"],
        summary,
        responses: {
          "200": { description: "healthy", content: { "application/json": { schema: HEALTH } } },
          ...(path === "/ready"
            ? {
                "503": {
                  description: "a dependency is down",
                  content: { "application/json": { schema: HEALTH } },
                },
              }
            : {}),
        },
      },
    };
  }
  paths["/v1/sse/events"] = {
    get: {
      operationId: "streamEvents",
      tags: ["stream"],
      summary: "Canonical events as Server-Sent Events; `id:` is the gap-free sequence number",
      description:
        "Resume with the `Last-Event-ID` header or `?after=`: every event after it, no gap, no duplicate. Without either, only new events. `event: reorg` tells a client to retract what it orphaned; comment lines are heartbeats; `event: close` carries the reason when the server drops a client (`slow_client`).",
      parameters: [
        {
          name: "after",
          in: "query",
          schema: { type: "string", pattern: "^\\d{1,15}$" },
          description: "Resume after this sequence number",
        },
        {
          name: "events",
          in: "query",
          schema: { type: "string" },
          description: "Comma-separated event types",
        },
        {
          name: "chain",
          in: "query",
          schema: { type: "string", enum: ["l1", "l2"] },
          description: "Only this chain",
        },
      ],
      responses: {
        "200": { description: "text/event-stream" },
        "400": openApiErrorResponse(400),
        "503": {
          ...openApiErrorResponse(503),
          description: "connection limit reached (`too_many_connections`)",
        },
      },
    },
  };
  Object.assign(paths, ingestOpenApiPaths(ingest));
  return {
    openapi: "3.1.0",
    info: {
      title: "Tidemark API",
      version,
      description:
        "Rollup chain data recorded exactly once, served from the canonical views: rows of blocks orphaned by a reorg never count. Times are unix seconds.",
    },
    paths,
    ...(ingest.length > 0 ? { components: { securitySchemes: INGEST_SECURITY_SCHEMES } } : {}),
  };
}
