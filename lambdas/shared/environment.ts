/**
 * The environment variables of every function: the functions read them (config.ts of each), the CDK
 * sets them (lib/), the local pipeline sets them. One list, so a renamed setting cannot leave a
 * function reading a variable nobody sets.
 */

/** Set on every function by the CDK: Powertools reads it for the `service` key and dimension. */
export const POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME";

/** Set on every function by the CDK: the EMF namespace Powertools Metrics writes to. */
export const POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE";

/**
 * Set on every function by the CDK (lib/compute/PipelineFunction.ts): the stage it runs in. Its custom
 * metrics carry it as the `stage` dimension (lambdas/shared/createMetrics.ts), as the alarms read them.
 */
export const TIDEMARK_STAGE = "TIDEMARK_STAGE";

/** Shared by the functions that read or write the state table (ingestor, processor, unprovenBatchAge). */
export const STATE_TABLE = "STATE_TABLE";

/** Shared by the ingest API (writes claim-checked payloads there) and the processor (reads them back). */
export const INGEST_PAYLOAD_BUCKET = "INGEST_PAYLOAD_BUCKET";

/** The ingest API's table (keys, schemas, sequences, outbox, commitments): the local run and the CLI name it. */
export const INGEST_TABLE = "INGEST_TABLE";

/**
 * Days the live stream's event log keeps an entry (it lives in the state table). Set on the processor,
 * which then appends every applied event to the log, and on the API, which reads it; unset, no log.
 */
export const EVENT_LOG_RETENTION_DAYS = "EVENT_LOG_RETENTION_DAYS";

/** The AWS WebSocket stream's functions (`$connect`/`$disconnect` and the fan-out), set by lib/api/WebSocketStream.ts. */
export const WebSocketEnv = {
  /** The connections table (key `connectionId`). */
  ConnectionsTable: "WS_CONNECTIONS_TABLE",
  /** The stage's management endpoint, `https://{api}.execute-api.{region}.amazonaws.com/{stage}` (fan-out only). */
  CallbackUrl: "WS_CALLBACK_URL",
} as const;

/**
 * The ingest API's functions (the request function and the scheduled maintenance: outbox sweep, commit,
 * anchor). Its limits and modes are INGEST_ENV in lambdas/ingestApi/ingestSettings.ts.
 */
export const IngestApiEnv = {
  IngestTable: INGEST_TABLE,
  QueueUrl: "QUEUE_URL",
  /** Optional: without it, payloads above the claim-check threshold are refused. */
  PayloadBucket: INGEST_PAYLOAD_BUCKET,
  /** Secrets Manager secret holding the Ed25519 receipt-signing key (64 hex characters). */
  SigningKeySecretId: "INGEST_SIGNING_KEY_SECRET_ID",
  /** Optional: secret `{"rpcUrl": …, "privateKey": "0x…"}` of the L2 commitments are anchored on. */
  AnchorSecretId: "ANCHOR_SECRET_ID",
  /** The AnchorRegistry contract on that L2 (required with ANCHOR_SECRET_ID). */
  AnchorRegistry: "ANCHOR_REGISTRY_ADDRESS",
} as const;

export const IngestorEnv = {
  QueueUrl: "QUEUE_URL",
  StateTable: STATE_TABLE,
  RpcUrlsSecretId: "RPC_URLS_SECRET_ID",
  L1RpcUrls: "L1_RPC_URLS",
  L2RpcUrls: "L2_RPC_URLS",
  /** The network preset (networks.ts NETWORK_SETTINGS.network); a custom one reads the rest of NETWORK_SETTINGS. */
  Network: "TAIKO_NETWORK",
  InboxAddress: "INBOX_ADDRESS",
  InboxWrapperAddress: "INBOX_WRAPPER_ADDRESS",
  L1StartBlock: "L1_START_BLOCK",
  L2StartBlock: "L2_START_BLOCK",
  Partitions: "PARTITIONS",
  PublishLanes: "PUBLISH_LANES",
  PublishBundleBytes: "PUBLISH_BUNDLE_BYTES",
  MaxBlocksPerRange: "MAX_BLOCKS_PER_RANGE",
  PollIntervalMs: "POLL_INTERVAL_MS",
  TimeReserveMs: "TIME_RESERVE_MS",
  LeaseSeconds: "LEASE_SECONDS",
  RecentHashes: "RECENT_HASHES",
  /** How deep below the last published block a reorg is walked back on its own (publishedHashes.ts). */
  MaxReorgDepth: "MAX_REORG_DEPTH",
  Confirmations: "CONFIRMATIONS",
  Chains: "CHAINS",
  /** `false` turns off reading receipts for L2 block fees and L1 proposing / proving costs (default `true`). */
  ReadFees: "READ_FEES",
  /** `false` turns off reading the PreconfWhitelist's operators per epoch (default `true`; needs a network naming one). */
  ReadPreconf: "READ_PRECONF",
  /** Optional: where rejected input (undecodable logs, …) is dead-lettered with its reason. */
  DlqUrl: "DLQ_URL",
} as const;

export const ProcessorEnv = {
  IdempotencyTable: "IDEMPOTENCY_TABLE",
  StateTable: STATE_TABLE,
  DlqUrl: "DLQ_URL",
  ClaimTimeoutSeconds: "CLAIM_TIMEOUT_SECONDS",
  IdempotencyTtlDays: "IDEMPOTENCY_TTL_DAYS",
  /** Optional: set where the ingest API runs; without it a claim-checked event is dead-lettered. */
  PayloadBucket: INGEST_PAYLOAD_BUCKET,
  /** Optional: set where the API serves the live stream; the processor then appends to its event log. */
  EventLogRetentionDays: EVENT_LOG_RETENTION_DAYS,
} as const;

/** The sink's settings, read by the processor (and by local runs that open a sink). */
export const SinkEnv = {
  Sink: "SINK",
  DuckDbPath: "DUCKDB_PATH",
  FirehoseStreamName: "FIREHOSE_STREAM_NAME",
  ClickHouseUrl: "CLICKHOUSE_URL",
  ClickHouseDatabase: "CLICKHOUSE_DATABASE",
  ClickHouseUser: "CLICKHOUSE_USER",
  ClickHousePassword: "CLICKHOUSE_PASSWORD",
  ClickHouseSecretId: "CLICKHOUSE_SECRET_ID",
} as const;

export const UnprovenBatchAgeEnv = {
  StateTable: STATE_TABLE,
} as const;

/** The deploy hook reads no setting of its own: the deployment names the version under test. */
export const DeployHookEnv = {} as const;

/** What Lambda and the SDK read for the light request path (lambdas/shared/awsLambdaRequester.ts). */
export const AwsEnv = {
  Region: "AWS_REGION",
  EndpointUrlSqs: "AWS_ENDPOINT_URL_SQS",
  EndpointUrlS3: "AWS_ENDPOINT_URL_S3",
  EndpointUrlSecretsManager: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
} as const;
