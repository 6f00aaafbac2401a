import { setTimeout as sleepFor } from "node:timers/promises";
import { isRetryable } from "./errors.js";

/** Exponential backoff between attempts. */
export interface BackoffPolicy {
  /** The ceiling of the first retry's delay; it doubles per retry. */
  readonly baseDelayMs: number;
  /** No delay ceiling grows past this. */
  readonly maxDelayMs: number;
}

/**
 * The one jitter policy of the codebase: "full jitter", a delay drawn uniformly from
 * [0, min(max, base·2^(retry-1))). It spreads competing clients apart best (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), which is what every retry here is: one of many clients of a
 * shared queue, table, stream or RPC provider.
 * `retry` is 1 for the first retry.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return random() * ceiling;
}

export interface WithRetryParameters extends BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Whether a failure may pass with another attempt. @default isRetryable (the error's own verdict) */
  readonly retryable?: (error: unknown) => boolean;
  /** Called before each retry's sleep. */
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** Epoch ms after which no retry starts (a Lambda's remaining time, a hook's deadline). */
  readonly deadline?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Run `operation` until it succeeds, fails with an error `retryable` rejects, runs out of attempts,
 * or the next retry would start past `deadline`; then the last error is thrown as it was.
 * `attempt` is 0 for the first call.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  parameters: WithRetryParameters,
): Promise<T> {
  const retryable = parameters.retryable ?? isRetryable;
  const now = parameters.now ?? Date.now;
  const sleep = parameters.sleep ?? sleepFor;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= parameters.attempts || !retryable(error)) throw error;
      const delayMs = backoffDelay(attempt + 1, parameters, parameters.random);
      if (parameters.deadline !== undefined && now() + delayMs >= parameters.deadline) throw error;
      parameters.onRetry?.(error, attempt + 1, delayMs);
      await sleep(delayMs);
    }
  }
}
