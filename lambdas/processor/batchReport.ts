import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { SQSBatchResponse } from "aws-lambda";
import type { PipelineEvent } from "../shared/events.js";
import { ProcessorMetric } from "../shared/metricNames.js";
import { type BatchCounters, deadLetteredWith, type Outcome, type Slot } from "./batchSlot.js";
import type { ProcessorLogger, ProcessorMetrics } from "./processBatch.js";

export interface ReportBatchParameters {
  readonly slots: readonly Slot[];
  readonly counters: BatchCounters;
  readonly metrics: ProcessorMetrics;
  readonly logger: ProcessorLogger;
  /** Epoch milliseconds, for freshness. */
  readonly now: number;
}

/**
 * Stage 5, report: log each failure and dead letter, publish the batch's metrics, and answer SQS with
 * every record it must redeliver (the failed ones, held-back ones included).
 */
export function reportBatch(parameters: ReportBatchParameters): SQSBatchResponse {
  const { slots, counters, metrics, logger } = parameters;
  const count = (outcome: Outcome) =>
    slots.filter((s) => s.state.kind === "done" && s.state.outcome === outcome).length;
  const failed = slots.filter((s) => s.state.kind === "failed");
  logFailures(failed, logger);
  for (const slot of slots) {
    const poison = deadLetteredWith(slot);
    if (poison === undefined) continue;
    logger.error("record dead-lettered", {
      messageId: slot.record.messageId,
      errorType: poison.error.name,
      reason: poison.error.message,
    });
  }
  const summary = {
    records: slots.length,
    processed: count("processed"),
    duplicates: count("duplicate"),
    deadLettered: count("deadLettered"),
    retried: failed.length,
    ...counters,
  };
  metrics.addMetric(ProcessorMetric.RecordsProcessed, MetricUnit.Count, summary.processed);
  metrics.addMetric(ProcessorMetric.DuplicatesDropped, MetricUnit.Count, summary.duplicates);
  metrics.addMetric(ProcessorMetric.RecordsDeadLettered, MetricUnit.Count, summary.deadLettered);
  metrics.addMetric(ProcessorMetric.RecordsRetried, MetricUnit.Count, summary.retried);
  metrics.addMetric(ProcessorMetric.ExpiredClaimsRetaken, MetricUnit.Count, counters.retaken);
  metrics.addMetric(ProcessorMetric.SinkErrors, MetricUnit.Count, counters.sinkErrors);
  metrics.addMetric(ProcessorMetric.Throttles, MetricUnit.Count, counters.throttles);
  addFreshness(slots, metrics, parameters.now);
  logger.info("batch processed", summary);
  return { batchItemFailures: failed.map((s) => ({ itemIdentifier: s.record.messageId })) };
}

function logFailures(failed: readonly Slot[], logger: ProcessorLogger): void {
  for (const slot of failed) {
    if (slot.state.kind !== "failed") continue;
    const { messageId } = slot.record;
    if (slot.state.blockedBy === undefined) {
      logger.warn("record will be retried", {
        messageId,
        group: slot.group,
        errorType: slot.state.error.name,
        error: slot.state.error,
      });
    } else {
      logger.debug("record held back behind a failure of its group", {
        messageId,
        blockedBy: slot.state.blockedBy,
      });
    }
  }
}

/** Milliseconds from each processed event's block timestamp to now. */
function addFreshness(slots: readonly Slot[], metrics: ProcessorMetrics, at: number): void {
  for (const slot of slots) {
    if (slot.state.kind !== "done" || slot.state.outcome !== "processed" || !slot.valid) continue;
    const seconds = blockTimestamp(slot.valid.event);
    if (seconds === undefined) continue;
    metrics.addMetric(ProcessorMetric.FreshnessMs, MetricUnit.Milliseconds, Math.max(0, at - seconds * 1000));
  }
}

function blockTimestamp(event: PipelineEvent): number | undefined {
  if ("l1" in event) return event.l1.timestamp;
  if (event.type === "preconf_epoch") return event.readAt.timestamp;
  // Freshness is a chain metric: API events have no block (their latency is the ingest API's metric).
  return event.type === "reorg" || event.type === "api_event" ? undefined : event.timestamp;
}
