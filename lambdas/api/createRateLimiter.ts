/** Decides whether one more request of a client fits its budget. */
export interface RateLimiter {
  /** Counts the request; when it is over the limit, says how many seconds until the next one is allowed. */
  take(
    clientId: string,
  ): { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };
}

export interface CreateRateLimiterParameters {
  /** Requests per client per minute. */
  readonly perMinute: number;
  readonly nowMs: () => number;
}

/**
 * Fixed one-minute windows per client, in memory. In Lambda each instance
 * counts on its own: the API Gateway stage throttle is the account-wide limit,
 * this one keeps a single noisy client from crowding out others.
 */
export function createRateLimiter({ perMinute, nowMs }: CreateRateLimiterParameters): RateLimiter {
  const windowMs = 60_000;
  let windowStart = Math.floor(nowMs() / windowMs) * windowMs;
  let counts = new Map<string, number>();
  return {
    take(clientId) {
      const now = nowMs();
      if (now >= windowStart + windowMs) {
        windowStart = Math.floor(now / windowMs) * windowMs;
        counts = new Map(); // old windows' counters go with it: memory stays bounded by one minute of clients
      }
      const used = (counts.get(clientId) ?? 0) + 1;
      counts.set(clientId, used);
      if (used <= perMinute) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)),
      };
    },
  };
}
