/**
 * Metric names shared by the functions (which emit them as EMF) and the CDK
 * monitoring (which alarms and graphs them). One list, so the two cannot drift.
 */
export const METRIC_NAMESPACE = "Tidemark";

/** The dimension naming the stage (dev, staging, prod) on every custom metric of a deployed function. */
export const STAGE_DIMENSION = "stage";

export const IngestorMetric = {
  /** Headers read and published, dimension `chain`. */
  BlocksIngested: "BlocksIngested",
  /** Inbox events decoded and published. */
  InboxEventsPublished: "InboxEventsPublished",
  /** Messages accepted by SQS (all kinds). */
  MessagesPublished: "MessagesPublished",
  /** SendMessageBatch entries that failed and were retried. */
  PublishEntriesRetried: "PublishEntriesRetried",
  /** Reorgs detected, dimension `chain`. */
  ReorgsDetected: "ReorgsDetected",
  /** Depth of each detected reorg, dimension `chain`. */
  ReorgDepth: "ReorgDepth",
  /** Chain head minus cursor after a poll, dimension `chain`. */
  IngestLagBlocks: "IngestLagBlocks",
  /** Latest head block number seen, dimension `chain`. */
  ChainHead: "ChainHead",
  /** Invocations that stood down because another ingestor held the lease. */
  LeaseContention: "LeaseContention",
  /** RPC requests that failed (timeouts, 429, errors), before retry or fallback. */
  RpcErrors: "RpcErrors",
  /** eth_getLogs ranges split because a node refused their width. */
  LogRangeSplits: "LogRangeSplits",
  /** Inbox logs that could not be decoded into a valid event and were skipped (logged with the reason). */
  InboxLogsSkipped: "InboxLogsSkipped",
  /** L2 blocks or L1 transactions whose fees or cost could not be derived from the node's receipts (logged with the reason). */
  FeesSkipped: "FeesSkipped",
  /**
   * Input the ingestor sent to the DLQ with its reason instead of publishing (undecodable logs, a block's
   * logs over the response limit, a header with an impossible timestamp), dimension `chain`. Alarmed.
   */
  RecordsRejected: "RecordsRejected",
  /** Providers that could not serve what was already published (lower head, `null`, missing parent). */
  ProviderBehind: "ProviderBehind",
  /** Blocks whose bloom showed inbox logs the range answer lacked, read again by hash (EIP-234). */
  LogsRefetchedByHash: "LogsRefetchedByHash",
  /**
   * Polls that failed for any reason but lease contention (RPC, DynamoDB or SQS errors and throttles,
   * after their retries), dimension `chain`. The cursor did not move; the next poll retries the range.
   */
  PollFailures: "PollFailures",
} as const;

export const ProcessorMetric = {
  /** Records applied to the sink and completed for the first time. */
  RecordsProcessed: "RecordsProcessed",
  /** Records acknowledged because their observation was already complete. */
  DuplicatesDropped: "DuplicatesDropped",
  /** Records reported as batch item failures (will be retried by SQS). */
  RecordsRetried: "RecordsRetried",
  /** Records sent to the DLQ with their reason. */
  RecordsDeadLettered: "RecordsDeadLettered",
  /** Claims taken over because a crashed worker's lease expired. */
  ExpiredClaimsRetaken: "ExpiredClaimsRetaken",
  /** Sink write failures (each surfaces as retries). */
  SinkErrors: "SinkErrors",
  /** DynamoDB or SQS throttling seen by the processor. */
  Throttles: "Throttles",
  /** Milliseconds from block timestamp to the row being written. */
  FreshnessMs: "FreshnessMs",
} as const;

/**
 * Chain metrics, derived from the lifecycle the processor records (emitted by the processor,
 * `service` dimension only). The CDK dashboard graphs them and two alarms rely on them:
 * "no batch proposed for 10 min" (BatchesProposed missing) and "batch not proven within 3 h"
 * (OldestUnprovenBatchAgeSeconds above 10 800).
 */
export const ChainMetric = {
  /** Batch proposals applied for the first time (count). */
  BatchesProposed: "BatchesProposed",
  /** Seconds between consecutive L2 blocks (block timestamps). */
  L2BlockIntervalSeconds: "L2BlockIntervalSeconds",
  /** Seconds between consecutive batch proposals on L1. */
  BatchPostingIntervalSeconds: "BatchPostingIntervalSeconds",
  /** Seconds from a batch's proposal to its proof. */
  BatchProveTimeSeconds: "BatchProveTimeSeconds",
  /** Seconds from a batch's proposal to its verification. */
  BatchVerifyTimeSeconds: "BatchVerifyTimeSeconds",
  /** Age in seconds of the oldest proposed batch that has no proof yet (0 when none is pending). */
  OldestUnprovenBatchAgeSeconds: "OldestUnprovenBatchAgeSeconds",
  /** Shasta proposals (id ≥ 1) applied for the first time (count). */
  ShastaProposalsProposed: "ShastaProposalsProposed",
  /** Age in seconds of the oldest Shasta proposal not finalized (L1 time of its Proposed to now; 0 when none). */
  OldestUnfinalizedProposalAgeSeconds: "OldestUnfinalizedProposalAgeSeconds",
  /** Seconds from a Shasta proposal's Proposed to the first Proved covering it as new (L1 times). */
  ShastaTimeToFinalitySeconds: "ShastaTimeToFinalitySeconds",
} as const;

/**
 * The live stream (SSE and WebSocket): the processor counts what it appends to the event log, each
 * stream instance what it delivers. Graphed on the dashboard's stream row; two alarms rely on them:
 * "no events logged for 5 min while blocks are ingested" and "connections near the limit".
 */
export const StreamMetric = {
  /** Events appended to the stream's event log for the first time (processor). */
  EventsLogged: "EventsLogged",
  /** Open stream connections on one instance, sampled each minute (Maximum across instances per period). */
  StreamConnections: "StreamConnections",
  /** Connections as a percentage of the per-instance limit, sampled each minute. */
  StreamConnectionsPercentOfLimit: "StreamConnectionsPercentOfLimit",
  /** Events written to clients (count). */
  StreamMessagesSent: "StreamMessagesSent",
  /** Connections the server ended (slow client, expired position, no pong), count. */
  StreamClientsDropped: "StreamClientsDropped",
  /** Milliseconds from an event's append to its write to a client: p99 and max of each minute. */
  StreamDeliveryLagP99Ms: "StreamDeliveryLagP99Ms",
  StreamDeliveryLagMaxMs: "StreamDeliveryLagMaxMs",
} as const;

/**
 * The ingest API (POST /v1/events and its scheduled maintenance). Alarms: a rejection burst, idempotent-hit
 * rate > 10 % (IdempotentHits / (EventsAccepted + IdempotentHits)), anchoring lag past 2 × its period.
 */
export const IngestApiMetric = {
  /** Events numbered for the first time. */
  EventsAccepted: "ApiEventsAccepted",
  /** Events answered `duplicate` (same clientEventId within the idempotency TTL, or repeated in a batch). */
  IdempotentHits: "ApiIdempotentHits",
  /** Events rejected (invalid field, payload limit, schema violation). */
  EventsRejected: "ApiEventsRejected",
  /** Accepted events SQS refused this time; the outbox sweeper sends them. */
  OutboxUnsent: "ApiOutboxUnsent",
  /** Milliseconds to accept a batch (schema checks, sequencing, send). */
  IngestLatencyMs: "ApiIngestLatencyMs",
  /**
   * Requests the ingest routes answered 5xx (500 internal, 503 unavailable or a dependency's throttle):
   * the function itself succeeds on these, so its Errors metric never sees them.
   */
  ServerErrors: "ApiServerErrors",
  /** Outbox records the scheduled sweeper sent (their request crashed or SQS refused it). */
  OutboxSwept: "ApiOutboxSwept",
  /** Last sequence assigned, dimension `stream` (scheduled maintenance). */
  StreamHead: "ApiStreamHead",
  /**
   * Seconds since the oldest event not covered by an anchored commitment was accepted: the largest over
   * the streams without a dimension (the alarm), and per `stream`. 0 when everything is anchored.
   */
  AnchoringLagSeconds: "ApiAnchoringLagSeconds",
  /** Commitments whose anchoring tx a reorg dropped and that were anchored again. */
  AnchorsResent: "ApiAnchorsResent",
} as const;
