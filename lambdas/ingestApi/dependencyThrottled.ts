import { DynamoDBServiceException } from "@aws-sdk/client-dynamodb";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { SQSServiceException } from "@aws-sdk/client-sqs";
import { ApiError } from "../api/errors.js";
import { toRetryableError } from "../processor/toRetryableError.js";
import { ThrottledError } from "../shared/errors.js";

/** The AWS service that shed load; "AWS" when the error does not say which. */
export type IngestDependency = "DynamoDB" | "SQS" | "S3" | "AWS";

/**
 * What a throttled request is told to wait before sending the same request again. Short: DynamoDB
 * on-demand and SQS recover within seconds, and the SDK has already spent its own retries.
 */
export const THROTTLE_RETRY_AFTER_SECONDS = 1;

/**
 * A dependency (DynamoDB, SQS, S3) throttled the request after the SDK's own retries: 503 with
 * Retry-After, never 500. Nothing is lost or half-done: events numbered before the throttle are durable
 * (in the outbox) and answer `duplicate` with the same eventId and sequence when the client resends.
 */
export class DependencyThrottledError extends ApiError {
  readonly status = 503;
  readonly code = "dependency_throttled";
  readonly retryable = true;
  readonly retryAfterSeconds = THROTTLE_RETRY_AFTER_SECONDS;

  constructor(
    readonly dependency: IngestDependency,
    awsError: string,
    cause: unknown,
  ) {
    super(
      `${dependency} is throttling (${awsError}); resend the same request after ${THROTTLE_RETRY_AFTER_SECONDS} s: events accepted before the throttle keep their eventId and sequence`,
      { cause, context: { dependency, awsError } },
    );
  }
}

/**
 * The DependencyThrottledError for a throttle (by the same classification the processor uses:
 * exception names, the SDK's `$retryable.throttling`, a transaction cancelled for throughput), naming the
 * service by the SDK's exception class; undefined for any other failure.
 */
export function asDependencyThrottle(error: unknown): DependencyThrottledError | undefined {
  if (error instanceof DependencyThrottledError) return error;
  if (!(toRetryableError(error, "ingest request") instanceof ThrottledError)) return undefined;
  const dependency: IngestDependency =
    error instanceof DynamoDBServiceException
      ? "DynamoDB"
      : error instanceof SQSServiceException
        ? "SQS"
        : error instanceof S3ServiceException
          ? "S3"
          : "AWS";
  return new DependencyThrottledError(
    dependency,
    error instanceof Error ? error.name : "UnknownError",
    error,
  );
}
