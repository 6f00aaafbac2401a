/**
 * Metric names shared by the functions (which emit them as EMF) and the CDK
 * monitoring (which alarms and graphs them). One list, so the two cannot drift.
 */
export const METRIC_NAMESPACE = "Tidemark";

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
