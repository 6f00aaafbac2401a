import type { SQSClient } from "@aws-sdk/client-sqs";
import { THROTTLE_EXCEPTIONS } from "../processor/toRetryableError.js";
import type { SqsBatchSender } from "../shared/awsSqs.js";
import { sdkSqsBatchSender } from "../shared/awsSqsFromSdk.js";
import { RetryableError, ThrottledError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { type FaultInjector, FaultPoint } from "../shared/faultPoints.js";
import { withRetry } from "../shared/retry.js";
import { sendInLanes } from "./groupLanes.js";
import { DEFAULT_BUNDLE_BYTES, type PublishEntry, toPublishEntries } from "./publishEntries.js";

/** SQS limits for SendMessageBatch. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Batches in flight at once (PUBLISH_LANES' default). A group has at most one entry in flight and a
 * batch that is not full waits while another is in flight, so the lanes in use are about
 * groups with entries waiting / 10: a range holds 2–3 streams of PARTITIONS (16) groups, which 4
 * lanes cover. Raise it with PARTITIONS, never past what the groups can fill.
 */
export const DEFAULT_PUBLISH_LANES = 4;

export interface PublishEventsOptions {
  /** SendMessageBatch calls in flight at once, over disjoint message groups. @default DEFAULT_PUBLISH_LANES */
  readonly lanes?: number;
  /**
   * Pack each message group's consecutive events into bundles of at most this many bytes
   * (publishEntries.ts); 0 sends one event per message. @default DEFAULT_BUNDLE_BYTES
   */
  readonly bundleBytes?: number;
  /** Rounds of sending (the first included) before giving up. @default 5 */
  readonly maxAttempts?: number;
  /** Ceiling of the first retry round's full-jitter delay. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 2000 */
  readonly maxDelayMs?: number;
  /** Called with the number of entries about to be sent again. */
  readonly onRetry?: (entries: number) => void;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly random?: () => number;
  /** The chaos suite's crash points; absent in production. */
  readonly faults?: FaultInjector;
  /**
   * Each event's deduplication id. @default its observation id. A re-drive of events already published
   * (`tidemark sink reconcile`) gives fresh ids: SQS would drop the old ones for 5 minutes.
   */
  readonly dedupIdOf?: (event: PipelineEvent) => string;
}

export interface PublishEventsReturnType {
  /** Events accepted by SQS (a duplicate within the dedup window counts as accepted). */
  readonly sent: number;
  /** Messages they went in: fewer than `sent` when events were bundled. */
  readonly messages: number;
  /** Entries (messages) that were sent more than once. */
  readonly retried: number;
}

type Pending = PublishEntry;

/** Where the publisher sends: the light SQS client (awsSqs.ts), or an SDK client. */
export type PublishClient = SqsBatchSender | SQSClient;

interface Failure {
  readonly code: string;
  readonly message: string;
}

/**
 * Publish events to the FIFO queue: group = messageGroupId; a message is one event (dedup id =
 * observationId) or a bundle of one group's consecutive events (dedup id from their observation ids).
 * Each round sends everything unsent in `lanes` concurrent batches over disjoint groups, each
 * group's entries in order (groupLanes.ts); a refused entry holds its group's later entries
 * back. Only what was not accepted goes out again, in the next round, after a full-jitter backoff.
 * Throws RetryableError when entries still fail after the last round.
 */
export async function publishEvents(
  client: PublishClient,
  queueUrl: string,
  events: readonly PipelineEvent[],
  partitions: number,
  options: PublishEventsOptions = {},
): Promise<PublishEventsReturnType> {
  const { maxAttempts = 5, baseDelayMs = 100, maxDelayMs = 2000, lanes = DEFAULT_PUBLISH_LANES } = options;
  const sqs = "sendMessageBatch" in client ? client : sdkSqsBatchSender(client);
  let pending = toPublishEntries(
    events,
    partitions,
    options.bundleBytes ?? DEFAULT_BUNDLE_BYTES,
    options.dedupIdOf,
  );
  const messages = pending.length;
  let retried = 0;
  await withRetry(
    async (attempt) => {
      if (attempt > 0) {
        options.onRetry?.(pending.length);
        retried += pending.length;
      }
      const failures = new Map<number, Failure>();
      pending = await sendInLanes({
        entries: pending,
        lanes,
        maxItems: MAX_ENTRIES,
        maxBytes: MAX_BATCH_BYTES,
        send: (batch) => sendBatch(sqs, queueUrl, batch, failures),
        afterBatch: (unaccepted) => {
          if (unaccepted > 0) options.faults?.hit(FaultPoint.IngestorMidPublish, { unsent: unaccepted });
        },
      });
      if (pending.length > 0) throw notAccepted(queueUrl, messages, pending, failures, attempt + 1);
    },
    {
      attempts: maxAttempts,
      baseDelayMs,
      maxDelayMs,
      // Another round only for refused entries: a crash point's throw must end the publish at once.
      retryable: (error) => error instanceof RetryableError,
      sleep: options.sleep,
      random: options.random,
    },
  );
  return { sent: events.length, messages, retried };
}

/**
 * The error for entries still refused after the last round: it names the queue and the first refused
 * entry (its event and observation id) and says why; ThrottledError when SQS only shed load.
 */
function notAccepted(
  queueUrl: string,
  messages: number,
  pending: readonly Pending[],
  failures: ReadonlyMap<number, Failure>,
  attempts: number,
): RetryableError {
  const refused = pending.filter((p) => failures.has(p.index));
  const sample = refused.slice(0, 5).map((p) => ({
    index: p.index,
    dedupId: p.entry.MessageDeduplicationId,
    group: p.group,
    ...failures.get(p.index),
  }));
  const first = sample[0];
  const why = first
    ? `; first refused: entry ${first.index} (${first.dedupId}, group ${first.group}): ${first.code}: ${first.message}`
    : "";
  const throttled =
    refused.length > 0 && refused.every((p) => THROTTLE_EXCEPTIONS.has(failures.get(p.index)?.code ?? ""));
  const Kind = throttled ? ThrottledError : RetryableError;
  return new Kind(
    `SQS queue ${queueUrl} did not accept ${pending.length} of ${messages} messages after ${attempts} attempts${why}`,
    { context: { queueUrl, failures: sample } },
  );
}

/** One SendMessageBatch; resolves with the refused indexes (recorded in `failures`), never rejects. */
async function sendBatch(
  sqs: SqsBatchSender,
  queueUrl: string,
  batch: readonly Pending[],
  failures: Map<number, Failure>,
): Promise<ReadonlySet<number>> {
  const refused = new Set<number>();
  try {
    const out = await sqs.sendMessageBatch({ QueueUrl: queueUrl, Entries: batch.map((p) => p.entry) });
    for (const f of out.Failed ?? []) {
      refused.add(Number(f.Id));
      failures.set(Number(f.Id), { code: f.Code ?? "Unknown", message: f.Message ?? "" });
    }
  } catch (error) {
    // The whole call failed (after the SDK's own retries, if an SDK client): every entry in it is unsent.
    const failure = {
      code: (error as Error)?.name ?? "Error",
      message: (error as Error)?.message ?? String(error),
    };
    for (const p of batch) {
      refused.add(p.index);
      failures.set(p.index, failure);
    }
  }
  return refused;
}
