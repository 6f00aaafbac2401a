import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../lambdas/shared/errors.js";
import { backoffDelay, withRetry } from "../../../lambdas/shared/retry.js";

const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe("backoffDelay", () => {
  it("draws from [0, ceiling) with a ceiling that doubles per retry up to the maximum", () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(500);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });
});

describe("withRetry", () => {
  it("retries a retryable failure until the operation succeeds", async () => {
    // Prepare
    const slept: number[] = [];
    let calls = 0;
    // Act
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 2) throw new RetryableError("busy");
        return "done";
      },
      { ...policy, attempts: 5, sleep: async (ms) => slept.push(ms), random: () => 0.5 },
    );
    // Assess
    expect(result).toBe("done");
    expect(calls).toBe(3);
    expect(slept).toEqual([50, 100]);
  });

  it("throws a permanent failure at once and the last retryable one after the last attempt", async () => {
    let calls = 0;
    const permanent = new PermanentError("bad input");
    await expect(
      withRetry(
        async () => {
          calls++;
          throw permanent;
        },
        { ...policy, attempts: 5, sleep: async () => undefined },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);

    const retries: number[] = [];
    await expect(
      withRetry(
        async (attempt) => {
          throw new RetryableError(`try ${attempt}`);
        },
        { ...policy, attempts: 3, sleep: async () => undefined, onRetry: (_e, retry) => retries.push(retry) },
      ),
    ).rejects.toThrow("try 2");
    expect(retries).toEqual([1, 2]);
  });

  it("starts no retry that would begin past the deadline", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new RetryableError("slow");
        },
        {
          ...policy,
          attempts: 10,
          deadline: 1_050,
          now: () => 1_000,
          random: () => 0.9,
          sleep: async () => undefined,
        },
      ),
    ).rejects.toThrow("slow");
    // The first retry's delay (90 ms) would end past the deadline (50 ms away).
    expect(calls).toBe(1);
  });
});
