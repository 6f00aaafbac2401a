/**
 * Powertools service names. The handlers construct Logger and Metrics with these names, the CDK sets
 * them as POWERTOOLS_SERVICE_NAME, and Powertools adds `service` to every metric's dimensions: the
 * alarms only see data while the two agree. Deployments in one account and region are told apart by
 * the `stage` dimension (TIDEMARK_STAGE, lambdas/shared/createMetrics.ts).
 */
export const ServiceName = {
  ingestor: "ingestor",
  processor: "processor",
  deployHook: "deployHook",
  /** The scheduled function that reports the oldest unproven batch's age. */
  unprovenBatchAge: "unprovenBatchAge",
  /** The stream function (SSE over a function URL): the SSE stream's metrics. */
  apiStream: "apiStream",
  /** The AWS WebSocket stream's fan-out: the WebSocket stream's metrics (same names as apiStream's). */
  apiWebSocket: "apiWebSocket",
  /** The AWS WebSocket stream's `$connect` and `$disconnect`. */
  apiWebSocketRoutes: "apiWebSocketRoutes",
  /** POST /v1/events and the ingest API's other routes on AWS. */
  ingestApi: "ingestApi",
  /** The ingest API's scheduled outbox sweep, commit and anchor. */
  ingestMaintenance: "ingestMaintenance",
} as const;

export type ServiceNameValue = (typeof ServiceName)[keyof typeof ServiceName];
