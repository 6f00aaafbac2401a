import { TidemarkError } from "../shared/errors.js";

/** An error the API answers with its own status and a JSON body `{ error: { code, message, parameter? } }`. */
export abstract class ApiError extends TidemarkError {
  abstract readonly status: 400 | 404 | 429 | 503;
  abstract readonly code: string;
}

/** A query parameter is malformed or out of range; `parameter` names it. Retrying the same request cannot help. */
export class BadParameterError extends ApiError {
  readonly status = 400;
  readonly code = "bad_parameter";
  readonly retryable = false;
  constructor(
    readonly parameter: string,
    problem: string,
  ) {
    super(`${parameter}: ${problem}`, { context: { parameter } });
  }
}

/** No route, or no such resource. */
export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = "not_found";
  readonly retryable = false;
}

/** The client used up its requests for this window; `retryAfterSeconds` says when the next one is allowed. */
export class RateLimitedError extends ApiError {
  readonly status = 429;
  readonly code = "rate_limited";
  readonly retryable = true;
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limit exceeded; retry after ${retryAfterSeconds} s`, { context: { retryAfterSeconds } });
  }
}

/** The event stream is at its connection limit; try again shortly (or another instance). */
export class TooManyConnectionsError extends ApiError {
  readonly status = 503;
  readonly code = "too_many_connections";
  readonly retryable = true;
  constructor(limit: number) {
    super(`the event stream serves at most ${limit} connections`, { context: { limit } });
  }
}

/**
 * An Athena query ended FAILED or CANCELLED, or Athena refused to start it. `retryable` is Athena's own
 * verdict (AthenaError.Retryable; throttling and internal errors) — never a guess from the message.
 */
export class AthenaQueryError extends TidemarkError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options);
  }
}

/** An Athena query ran past the adapter's budget; it was asked to stop so it scans no further. */
export class AthenaQueryTimeoutError extends TidemarkError {
  readonly retryable = true;
}
