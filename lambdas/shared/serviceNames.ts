/**
 * Powertools service names. The handlers construct Logger and Metrics with these names, the CDK sets
 * them as POWERTOOLS_SERVICE_NAME, and Powertools adds `service` to every metric's dimensions: the
 * alarms only see data while the two agree. Two Tidemark deployments in one account and region
 * therefore share metrics.
 */
export const ServiceName = {
  ingestor: "ingestor",
  processor: "processor",
  deployHook: "deployHook",
  /** The scheduled function that reports the oldest unproven batch's age. */
  unprovenBatchAge: "unprovenBatchAge",
  /** POST /v1/events and the ingest API's other routes on AWS. */
  ingestApi: "ingestApi",
  /** The ingest API's scheduled outbox sweep, commit and anchor. */
  ingestMaintenance: "ingestMaintenance",
} as const;

export type ServiceNameValue = (typeof ServiceName)[keyof typeof ServiceName];
