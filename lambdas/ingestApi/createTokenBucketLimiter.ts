import { RateLimitedError } from "../api/errors.js";

export interface TokenBucketLimiter {
  /** Take one token of `keyId`'s bucket; throws RateLimitedError (with retryAfterSeconds) when it is empty. */
  take(keyId: string, limits: { readonly ratePerSecond: number; readonly burst: number }): void;
}

/**
 * A token bucket per API key, in memory: each instance (a Lambda instance, the local server) counts on
 * its own, so N instances allow up to N× the rate. On AWS the API Gateway usage plan of the key is the
 * global limit; this one keeps one instance fair among keys and gives the same numbers locally.
 * Buckets of keys idle long enough to be full are dropped, so memory is bounded by active keys.
 */
export function createTokenBucketLimiter(now: () => number = Date.now): TokenBucketLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  return {
    take(keyId, { ratePerSecond, burst }) {
      const t = now();
      if (t - lastSweep > 60_000) {
        for (const [id, b] of buckets)
          if (b.tokens + ((t - b.at) / 1000) * ratePerSecond >= burst) buckets.delete(id);
        lastSweep = t;
      }
      const bucket = buckets.get(keyId) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * ratePerSecond);
      bucket.at = t;
      buckets.set(keyId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)));
    },
  };
}
