/**
 * Every error Tidemark raises says whether retrying can help. The processor's
 * behaviour (retry, DLQ with reason, acknowledge as duplicate) follows from the
 * type, never from matching message strings.
 */
export abstract class TidemarkError extends Error {
  /** True when the same input may succeed later (outage, throttle, contention). */
  abstract readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** A failure that may go away: retry later (report the record as a batch item failure). */
export class RetryableError extends TidemarkError {
  readonly retryable = true;
}

/** Input that can never succeed: dead-letter it with this reason instead of burning retries. */
export class PermanentError extends TidemarkError {
  readonly retryable = false;
}

/** The message body is not JSON or does not match the event schema. */
export class InvalidMessageError extends PermanentError {}

/** The message names an event type this version does not know. */
export class UnknownEventTypeError extends PermanentError {}

/** The message body is larger than any valid event can be. */
export class MessageTooLargeError extends PermanentError {}

/** Another worker holds an unexpired claim on this event; try again after it expires or completes. */
export class ClaimHeldError extends RetryableError {}

/** The columnar sink refused or failed a write; nothing was acknowledged. */
export class SinkUnavailableError extends RetryableError {}

/** A dependency throttled us (DynamoDB, SQS, an RPC node's 429). */
export class ThrottledError extends RetryableError {}

/** An RPC node failed or returned inconsistent data (e.g. logs from a block that is no longer canonical). */
export class RpcError extends RetryableError {}

/** Another ingestor holds this chain's lease. Not a failure: this invocation stands down. */
export class LeaseHeldError extends RetryableError {}

/** The cursor moved under us (another ingestor advanced it after our lease was lost). */
export class CursorConflictError extends RetryableError {}

/** A reorg deeper than the hashes the cursor remembers: an operator must look (backfill from a safe block). */
export class ReorgTooDeepError extends PermanentError {}

/**
 * One RPC provider cannot serve what the chain already has (a lower head, `null` for a block we published,
 * a missing parent, an empty log answer its own header contradicts): not a reorg. Try another provider,
 * or the same one on the next poll.
 */
export class ProviderBehindError extends RpcError {}

/** A setting is missing or invalid; raised at cold start, naming the setting. */
export class ConfigError extends PermanentError {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`, { context: { setting } });
  }
}

/** Classify any thrown value: unknown errors are treated as retryable (never dead-letter on a bug we did not name). */
export const isRetryable = (error: unknown): boolean =>
  error instanceof TidemarkError ? error.retryable : true;
