import { ConfigError } from "../shared/errors.js";
import { type IntegerBounds, resolveIntegerSettings } from "../shared/readConfig.js";

export type SchemaMode = "disabled" | "warn" | "enforce" | "required";
export const SCHEMA_MODES: readonly SchemaMode[] = ["disabled", "warn", "enforce", "required"];

/** Settings of the ingest API, validated once (cold start or server start). */
export interface IngestSettings {
  /** Request body, bytes (runbook MAX_BODY_SIZE_BYTES). Over it: 413. */
  readonly maxBodyBytes: number;
  /** Events per POST (runbook MAX_EVENTS_PER_BATCH). Over it: 413. */
  readonly maxEventsPerBatch: number;
  /** One event's payload as canonical JSON, bytes (runbook MAX_EVENT_PAYLOAD_SIZE). Over it: that event is rejected. */
  readonly maxPayloadBytes: number;
  /**
   * Payloads larger than this go to the object store and travel as a pointer (claim check). It keeps a
   * queue message under the processor's 64 KiB message limit and an outbox item under DynamoDB's 400 KB.
   */
  readonly claimCheckThresholdBytes: number;
  /** Mode of a stream that has none set (runbook SCHEMA_VALIDATION_MODE). */
  readonly defaultSchemaMode: SchemaMode;
  /** How long a `(stream, clientEventId)` keeps answering `duplicate` with its first eventId/sequence. */
  readonly idempotencyTtlSeconds: number;
  /** Message groups per stream on the FIFO queue (`api:{stream}:{sequence mod P}`). */
  readonly partitions: number;
  /** Outbox records older than this and still not enqueued are re-sent by `drainOutbox`. */
  readonly outboxGraceSeconds: number;
  /** A commitment is made when this many events are uncommitted… */
  readonly commitEveryEvents: number;
  /** …or when the oldest uncommitted event is this old. */
  readonly commitEverySeconds: number;
  /** How long schemas and stream modes are cached per instance before being read again. */
  readonly schemaCacheSeconds: number;
  /** Attempts at the sequencing transaction before answering 503 (each after the head moved). */
  readonly sequenceAttempts: number;
}

/** The environment variables the settings come from: one home for their names (the construct sets them). */
export const INGEST_ENV = {
  maxBodyBytes: "MAX_BODY_SIZE_BYTES",
  maxEventsPerBatch: "MAX_EVENTS_PER_BATCH",
  maxPayloadBytes: "MAX_EVENT_PAYLOAD_SIZE",
  claimCheckThresholdBytes: "INGEST_CLAIM_CHECK_THRESHOLD_BYTES",
  defaultSchemaMode: "SCHEMA_VALIDATION_MODE",
  idempotencyTtlSeconds: "INGEST_IDEMPOTENCY_TTL_SECONDS",
  partitions: "INGEST_PARTITIONS",
  outboxGraceSeconds: "INGEST_OUTBOX_GRACE_SECONDS",
  commitEveryEvents: "INGEST_COMMIT_EVERY_EVENTS",
  commitEverySeconds: "INGEST_COMMIT_EVERY_SECONDS",
  schemaCacheSeconds: "INGEST_SCHEMA_CACHE_SECONDS",
  sequenceAttempts: "INGEST_SEQUENCE_ATTEMPTS",
} as const satisfies { readonly [K in keyof IngestSettings]: string };

/** Defaults: the three limits and the schema mode are the sequencer runbook's. */
export const DEFAULT_INGEST_SETTINGS: IngestSettings = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxEventsPerBatch: 1000,
  maxPayloadBytes: 1024 * 1024,
  claimCheckThresholdBytes: 32 * 1024,
  defaultSchemaMode: "enforce",
  idempotencyTtlSeconds: 30 * 86_400,
  partitions: 16,
  outboxGraceSeconds: 60,
  commitEveryEvents: 1000,
  commitEverySeconds: 60,
  schemaCacheSeconds: 30,
  sequenceAttempts: 60,
};

const INTEGER_BOUNDS: {
  readonly [K in Exclude<keyof IngestSettings, "defaultSchemaMode">]: IntegerBounds;
} = {
  maxBodyBytes: [1024, 100 * 1024 * 1024],
  maxEventsPerBatch: [1, 100_000],
  maxPayloadBytes: [1, 100 * 1024 * 1024],
  claimCheckThresholdBytes: [0, 48 * 1024],
  idempotencyTtlSeconds: [600, 10 * 365 * 86_400],
  partitions: [1, 1024],
  outboxGraceSeconds: [0, 86_400],
  commitEveryEvents: [1, 1_000_000],
  commitEverySeconds: [1, 86_400],
  schemaCacheSeconds: [0, 3600],
  sequenceAttempts: [1, 1000],
};

/**
 * Defaults merged with overrides and then with the environment (when given), every value checked; the
 * first bad one throws ConfigError naming its environment variable.
 */
export function resolveIngestSettings(
  overrides: Partial<IngestSettings> = {},
  env: Readonly<Record<string, string | undefined>> = {},
): IngestSettings {
  const merged = { ...DEFAULT_INGEST_SETTINGS, ...overrides };
  const modeVariable = env[INGEST_ENV.defaultSchemaMode]?.trim();
  if (modeVariable !== undefined && modeVariable !== "")
    merged.defaultSchemaMode = modeVariable as SchemaMode;
  if (!SCHEMA_MODES.includes(merged.defaultSchemaMode as SchemaMode)) {
    throw new ConfigError(
      INGEST_ENV.defaultSchemaMode,
      `expected one of ${SCHEMA_MODES.join("|")}, got ${String(merged.defaultSchemaMode)}`,
    );
  }
  return { ...merged, ...resolveIntegerSettings(merged, INTEGER_BOUNDS, env, INGEST_ENV) };
}
