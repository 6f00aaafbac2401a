import { Hono } from "hono";
import { createIngestRoutes, type IngestRoutesDependencies } from "./createIngestRoutes.js";

/** The ingest routes under /v1 as the ingest function serves them (the HTTP API routes only these paths to it). */
export function createIngestApp(deps: IngestRoutesDependencies): Hono {
  const app = new Hono();
  app.route("/v1", createIngestRoutes(deps));
  return app;
}
