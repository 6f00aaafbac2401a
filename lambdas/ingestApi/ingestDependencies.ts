import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createApiKeys } from "./apiKeys.js";
import { createCommitmentStore } from "./commitmentStore.js";
import type { IngestRoutesDependencies } from "./createIngestRoutes.js";
import { createTokenBucketLimiter } from "./createTokenBucketLimiter.js";
import { createEventStore } from "./eventStore.js";
import type { IngestFaultInjector } from "./ingestFaultPoints.js";
import type { IngestSettings } from "./ingestSettings.js";
import type { ObjectStore } from "./objectStore.js";
import { createReceiptSigner } from "./receipts.js";
import { createSchemaRegistry } from "./schemaRegistry.js";

export interface BuildIngestDependenciesParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly settings: IngestSettings;
  /** The 32-byte Ed25519 key receipts and commitments are signed with (signingKey.ts). */
  readonly signingKey: Uint8Array;
  readonly objectStore?: ObjectStore;
  readonly metrics?: Pick<Metrics, "addMetric">;
  /** Tests: a clock for TTLs, schema caches, buckets and commitments. @default Date.now */
  readonly now?: () => number;
  /** The chaos/fault tests' crash points; absent in production wiring. */
  readonly faults?: IngestFaultInjector;
}

/**
 * The ingest API's dependencies from its parts: one wiring for the Lambda functions (lambdaIngest.ts)
 * and the local pipeline (scripts/pipeline/createLocalIngest.ts), so both serve the same stores.
 */
export function buildIngestDependencies(p: BuildIngestDependenciesParameters): IngestRoutesDependencies {
  const { ddb, tableName, settings, now = Date.now } = p;
  const signer = createReceiptSigner(p.signingKey);
  const events = createEventStore({ ddb, tableName });
  return {
    ddb,
    sqs: p.sqs,
    tableName,
    queueUrl: p.queueUrl,
    settings,
    signer,
    schemas: createSchemaRegistry({
      ddb,
      tableName,
      defaultMode: settings.defaultSchemaMode,
      cacheSeconds: settings.schemaCacheSeconds,
      now,
    }),
    objectStore: p.objectStore,
    keys: createApiKeys({ ddb, tableName, now }),
    limiter: createTokenBucketLimiter(now),
    events,
    commitments: createCommitmentStore({
      ddb,
      tableName,
      events,
      signer,
      commitEveryEvents: settings.commitEveryEvents,
      commitEverySeconds: settings.commitEverySeconds,
      now,
    }),
    now,
    ...(p.metrics ? { metrics: p.metrics } : {}),
    ...(p.faults ? { faults: p.faults } : {}),
  };
}
