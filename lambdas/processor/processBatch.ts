import { randomBytes } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { ObjectStore } from "../ingestApi/objectStore.js";
import { type FaultInjector, FaultPoint } from "../shared/faultPoints.js";
import type { Sink } from "../sink/Sink.js";
import { reportBatch } from "./batchReport.js";
import type { BatchCounters, Slot } from "./batchSlot.js";
import {
  claimStage,
  completeStage,
  deadLetterStage,
  lifecycleStage,
  releaseStage,
  type StageContext,
  settleLeftovers,
  sinkStage,
} from "./batchStages.js";
import type { ProcessorConfig } from "./config.js";
import { holdBackFifo } from "./fifoRule.js";
import { createIdempotencyStore } from "./idempotencyStore.js";
import { createLifecycleStore } from "./lifecycleStore.js";
import { shastaLifecycleStage } from "./shastaLifecycleStage.js";
import { createShastaLifecycleStore } from "./shastaLifecycleStore.js";
import { unbundleStage } from "./unbundleStage.js";
import { withClaimCheckedPayloads } from "./withClaimCheckedPayloads.js";

export type ProcessorLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;
export type ProcessorMetrics = Pick<Metrics, "addMetric">;
/** The parts of the Lambda context the processor uses (the local runner builds its own). */
export type ProcessorContext = Pick<Context, "awsRequestId"> &
  Partial<Pick<Context, "getRemainingTimeInMillis">>;

export interface CreateBatchProcessorParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sink: Sink;
  readonly config: ProcessorConfig;
  readonly metrics: ProcessorMetrics;
  readonly logger: ProcessorLogger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
  /** Where claim-checked API event payloads are (S3 in Lambda); without one such events are dead-lettered. */
  readonly objectStore?: ObjectStore;
}

export interface BatchProcessor {
  /** Process one SQS batch; the response lists every record SQS must redeliver. Throws only on a bug. */
  process(records: readonly SQSRecord[], context: ProcessorContext): Promise<SQSBatchResponse>;
}

/**
 * The processor's domain logic, batched per SQS batch, in named stages (batchStages.ts):
 * unbundle and validate all → claim all (1 round trip) → dead-letter poison → apply: one sink write, then the
 * lifecycle (1 round trip) → complete all (1 round trip) → report (batchReport.ts).
 *
 * FIFO contract of the Lambda SQS event source (fifoRule.ts, applied after each stage): once a record of
 * a message group fails, it and every later record of that group are reported as failures and not
 * applied (or, when a later stage fails, applied but never acknowledged — harmless because the sink and
 * the lifecycle updates are idempotent). Other groups go on. Claims come first so that a held or
 * throttled claim stops its group before any poison behind it is dead-lettered out of order.
 */
export function createBatchProcessor(parameters: CreateBatchProcessorParameters): BatchProcessor {
  const { ddb, sqs, config, metrics, logger, faults } = parameters;
  // Every write (also the one-at-a-time isolation) carries claim-checked API payloads, fetched and checked.
  const sink = withClaimCheckedPayloads(parameters.sink, parameters.objectStore);
  const now = parameters.now ?? Date.now;
  const idempotency = createIdempotencyStore({
    ddb,
    tableName: config.idempotencyTable,
    claimTimeoutSeconds: config.claimTimeoutSeconds,
    ttlDays: config.idempotencyTtlDays,
    now,
  });
  // The lifecycle writes emit the chain metrics (BatchesProposed, prove/verify time, cadences), once per batch.
  const lifecycle = createLifecycleStore({ ddb, tableName: config.stateTable, metrics });
  const shastaLifecycle = createShastaLifecycleStore({ ddb, tableName: config.stateTable, metrics });
  let leaseChecked = false;

  async function process(
    records: readonly SQSRecord[],
    context: ProcessorContext,
  ): Promise<SQSBatchResponse> {
    checkLease(context);
    const counters: BatchCounters = { throttles: 0, retaken: 0, sinkErrors: 0 };
    const ctx: StageContext = {
      sqs,
      sink,
      idempotency,
      lifecycle,
      dlqUrl: config.dlqUrl,
      logger,
      now,
      owner: `${context.awsRequestId}:${randomBytes(4).toString("hex")}`,
      counters,
    };
    // A bundle's events become slots of their own (unbundleStage.ts); the answer names SQS's messages.
    const { slots, fold } = unbundleStage(records, logger);
    await claim(slots, ctx);
    await apply(slots, ctx);
    if ((await completeStage(slots, ctx)) > 0) {
      faults?.hit(FaultPoint.ProcessorAfterComplete, { records: slots.length });
    }
    settleLeftovers(slots, ctx);
    await releaseStage(slots, ctx);
    return fold(reportBatch({ slots, counters, metrics, logger, now: now() }));
  }

  /** Claim, then dead-letter the records validation refused (after their groups' claims decided). */
  async function claim(slots: readonly Slot[], ctx: StageContext): Promise<void> {
    await claimStage(slots, ctx);
    holdBackFifo(slots);
    faults?.hit(FaultPoint.ProcessorAfterClaim, { records: slots.length });
    await deadLetterStage(slots, ctx);
    holdBackFifo(slots);
  }

  /** Write the claimed records' rows, dead-letter any the sink refuses, record their lifecycle. */
  async function apply(slots: readonly Slot[], ctx: StageContext): Promise<void> {
    const written = await sinkStage(slots, ctx);
    holdBackFifo(slots);
    if (written.length > 0) faults?.hit(FaultPoint.ProcessorAfterSink, { records: slots.length });
    await deadLetterStage(slots, ctx);
    holdBackFifo(slots);
    await lifecycleStage(slots, ctx);
    await shastaLifecycleStage(slots, ctx, shastaLifecycle);
    holdBackFifo(slots);
  }

  /** A claim that can expire while its invocation still runs would let a second worker in. */
  function checkLease(context: ProcessorContext): void {
    if (leaseChecked || context.getRemainingTimeInMillis === undefined) return;
    leaseChecked = true;
    const remaining = context.getRemainingTimeInMillis();
    if (remaining > config.claimTimeoutSeconds * 1000) {
      logger.warn(
        "CLAIM_TIMEOUT_SECONDS is shorter than the function timeout: a slow invocation can lose its claims",
        {
          claimTimeoutSeconds: config.claimTimeoutSeconds,
          remainingMs: remaining,
        },
      );
    }
  }

  return { process };
}
