import { describe, expect, it } from "vitest";
import { RateLimitedError } from "../../../lambdas/api/errors.js";
import { createTokenBucketLimiter } from "../../../lambdas/ingestApi/createTokenBucketLimiter.js";

describe("createTokenBucketLimiter", () => {
  it("allows the burst, then refuses with the seconds until a token is back, per key", () => {
    // Prepare: a clock we move by hand.
    let now = 1_000_000;
    const limiter = createTokenBucketLimiter(() => now);
    const limits = { ratePerSecond: 0.5, burst: 3 };
    // Act + Assess
    for (let i = 0; i < 3; i++) limiter.take("a", limits);
    const refused = (() => {
      try {
        limiter.take("a", limits);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(2);
    limiter.take("b", limits); // another key has its own bucket
    now += 2000;
    limiter.take("a", limits); // one token back after 2 s at 0.5/s
    expect(() => limiter.take("a", limits)).toThrow(RateLimitedError);
  });
});
