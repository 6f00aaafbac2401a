import { RetryableError, ThrottledError, TidemarkError } from "../shared/errors.js";

/** Exception names AWS services use when they shed load (DynamoDB, SQS). */
export const THROTTLE_EXCEPTIONS: ReadonlySet<string> = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "TooManyRequestsException",
]);

/** BatchStatementError codes of BatchExecuteStatement that mean the same thing for one statement. */
const THROTTLE_STATEMENT_CODES = new Set([
  "ProvisionedThroughputExceeded",
  "ThrottlingError",
  "RequestLimitExceeded",
]);

/**
 * Classify a failed AWS call. Everything here is retryable: a dependency failing (throttle, network,
 * 5xx, even a misconfiguration) never proves the record itself is bad, so it must not be dead-lettered.
 */
export function toRetryableError(
  error: unknown,
  what: string,
  context: Record<string, unknown> = {},
): RetryableError {
  if (error instanceof RetryableError) return error;
  const name = error instanceof Error ? error.name : "UnknownError";
  const message = error instanceof Error ? error.message : String(error);
  const details = (typeof error === "object" && error !== null ? error : {}) as {
    $retryable?: { throttling?: boolean };
    CancellationReasons?: { Code?: string }[];
  };
  const throttled =
    THROTTLE_EXCEPTIONS.has(name) ||
    details.$retryable?.throttling === true ||
    // A cancelled transaction says per item why; a throttled item cancels all of them.
    (details.CancellationReasons ?? []).some((r) => THROTTLE_STATEMENT_CODES.has(r.Code ?? ""));
  const options = { cause: error, context: { ...context, awsError: name } };
  if (throttled) return new ThrottledError(`${what} was throttled: ${message}`, options);
  if (error instanceof TidemarkError) return new RetryableError(`${what} failed: ${message}`, options);
  return new RetryableError(`${what} failed (${name}): ${message}`, options);
}

/** Same classification for one statement's error inside a BatchExecuteStatement response. */
export function statementError(
  error: { Code?: string | undefined; Message?: string | undefined },
  what: string,
  context: Record<string, unknown> = {},
): RetryableError {
  const code = error.Code ?? "Unknown";
  const options = { context: { ...context, awsError: code } };
  const message = `${what} failed (${code}): ${error.Message ?? ""}`;
  return THROTTLE_STATEMENT_CODES.has(code)
    ? new ThrottledError(message, options)
    : new RetryableError(message, options);
}
