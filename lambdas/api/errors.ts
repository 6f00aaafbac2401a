import { TidemarkError } from "../shared/errors.js";

/**
 * An error the API — the query routes and the ingest routes alike — answers with its own status and
 * a JSON body `{ error: { code, message, field? } }` (errorBody). As every TidemarkError it says whether
 * retrying can help: a client may retry a 429 or 503 with the same request, never another 4xx.
 */
export abstract class ApiError extends TidemarkError {
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;
  abstract readonly code: string;
  /** The query parameter, request field, setting or limit at fault (`limit`, `events[3].payload`, `maxEventsPerBatch`). */
  readonly field: string | undefined;

  constructor(
    message: string,
    options: { field?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause, context: { ...options.context, field: options.field } });
    this.field = options.field;
  }
}

/** The `error` member of the JSON body every route answers an ApiError with. */
export function errorBody(error: ApiError): { code: string; message: string; field?: string } {
  return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
}

/** The OpenAPI response object for an error status: the errorBody shape, with Retry-After on 429. */
export function openApiErrorResponse(status: number): object {
  const response = {
    description:
      "`{ error: { code, message, field? } }`; `field` names the query parameter, request field or limit at fault",
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                field: { type: "string" },
              },
            },
          },
        },
      },
    },
  };
  return status === 429
    ? { ...response, headers: { "Retry-After": { schema: { type: "integer" } } } }
    : response;
}

/** A query parameter is malformed or out of range; `field` names it. Retrying the same request cannot help. */
export class BadParameterError extends ApiError {
  readonly status = 400;
  readonly code = "bad_parameter";
  readonly retryable = false;
  constructor(parameter: string, problem: string) {
    super(`${parameter}: ${problem}`, { field: parameter });
  }
}

/** The body is not JSON, or a field is missing or malformed. */
export class InvalidRequestError extends ApiError {
  readonly status = 400;
  readonly code = "invalid_request";
  readonly retryable = false;
}

/** A limit (body size, events per batch, payload size) was exceeded; `field` names the limit's setting. */
export class LimitExceededError extends ApiError {
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
export class SchemaViolationError extends ApiError {
  readonly status = 400;
  readonly code = "schema_violation";
  readonly retryable = false;
}

/** A JSON Schema given to `putSchema` does not compile. */
export class InvalidSchemaError extends ApiError {
  readonly status = 400;
  readonly code = "invalid_schema";
  readonly retryable = false;
}

/** No API key, or one that is unknown, malformed or revoked. */
export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = "unauthorized";
  readonly retryable = false;
}

/** A valid key that is not allowed on the stream asked for. */
export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = "forbidden";
  readonly retryable = false;
}

/** No route, or no such resource. */
export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = "not_found";
  readonly retryable = false;
}

/** The client (or API key) used up its requests for this window; `retryAfterSeconds` says when the next one is allowed. */
export class RateLimitedError extends ApiError {
  readonly status = 429;
  readonly code = "rate_limited";
  readonly retryable = true;
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limit exceeded; retry after ${retryAfterSeconds} s`, { context: { retryAfterSeconds } });
  }
}

/**
 * The ingest stream head kept moving under us for every attempt (heavy contention), or a dependency failed.
 * Nothing half-done is visible: a retry of the same request gets the same numbers for what was accepted.
 */
export class IngestUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = "unavailable";
  readonly retryable = true;
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
