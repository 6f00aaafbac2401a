import { TidemarkError } from "../shared/errors.js";

/**
 * Errors of the ingest API. Each carries the HTTP status and a stable `code` the routes answer with
 * (`{ error: { code, message, field? } }`), and, as every TidemarkError, whether retrying can help:
 * a client may retry a 429 or 503 with the same body (idempotency makes that safe), never a 4xx else.
 */
export abstract class IngestApiError extends TidemarkError {
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;
  abstract readonly code: string;
  /** The request field, setting or limit the error is about (`events[3].payload`, `maxEventsPerBatch`). */
  readonly field: string | undefined;

  constructor(
    message: string,
    options: { field?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause, context: { ...options.context, field: options.field } });
    this.field = options.field;
  }
}

/** The body is not JSON, or a field is missing or malformed. */
export class InvalidRequestError extends IngestApiError {
  readonly status = 400;
  readonly code = "invalid_request";
  readonly retryable = false;
}

/** A limit (body size, events per batch, payload size) was exceeded; `field` names the limit's setting. */
export class LimitExceededError extends IngestApiError {
  readonly code = "limit_exceeded";
  readonly retryable = false;
  constructor(
    readonly status: 400 | 413,
    readonly limit: string,
    readonly max: number,
    readonly actual: number,
    what: string,
  ) {
    super(`${what} is ${actual}, above the limit ${limit} = ${max}`, {
      field: limit,
      context: { max, actual },
    });
  }
}

/** An event fails its type's JSON Schema in `enforce`/`required` mode, or has no schema in `required`. */
export class SchemaViolationError extends IngestApiError {
  readonly status = 400;
  readonly code = "schema_violation";
  readonly retryable = false;
}

/** A JSON Schema given to `putSchema` does not compile. */
export class InvalidSchemaError extends IngestApiError {
  readonly status = 400;
  readonly code = "invalid_schema";
  readonly retryable = false;
}

/** No API key, or one that is unknown, malformed or revoked. */
export class UnauthorizedError extends IngestApiError {
  readonly status = 401;
  readonly code = "unauthorized";
  readonly retryable = false;
}

/** A valid key that is not allowed on the stream asked for. */
export class ForbiddenError extends IngestApiError {
  readonly status = 403;
  readonly code = "forbidden";
  readonly retryable = false;
}

export class NotFoundError extends IngestApiError {
  readonly status = 404;
  readonly code = "not_found";
  readonly retryable = false;
}

/** The key used up its token bucket; `retryAfterSeconds` says when one token is back. */
export class RateLimitedError extends IngestApiError {
  readonly status = 429;
  readonly code = "rate_limited";
  readonly retryable = true;
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limit exceeded; retry after ${retryAfterSeconds} s`, { context: { retryAfterSeconds } });
  }
}

/**
 * The stream head kept moving under us for every attempt (heavy contention), or a dependency failed.
 * Nothing half-done is visible: a retry of the same request gets the same numbers for what was accepted.
 */
export class IngestUnavailableError extends IngestApiError {
  readonly status = 503;
  readonly code = "unavailable";
  readonly retryable = true;
}

/** An anchoring transaction failed or the registry holds another root for the same range. */
export class AnchorError extends TidemarkError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options);
  }
}
