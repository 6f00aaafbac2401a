import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../lambdas/shared/errors.js";
import { DEFAULT_DEVNET_KNOBS, resolveDevnetKnobs } from "../../../scripts/devnet/devnetKnobs.js";

describe("resolveDevnetKnobs", () => {
  it("fills unset knobs from the defaults and weights sequencers n, n−1, …, 1", () => {
    // Act
    const knobs = resolveDevnetKnobs({ sequencers: 4, l2BlockTimeSec: 1 });

    // Assess
    expect(knobs.l2BlockTimeSec).toBe(1);
    expect(knobs.l1BlockTimeSec).toBe(DEFAULT_DEVNET_KNOBS.l1BlockTimeSec);
    expect(knobs.sequencerWeights).toEqual([4, 3, 2, 1]);
  });

  it("rejects bad knobs, naming every problem at once", () => {
    // Act
    const attempt = () =>
      resolveDevnetKnobs({
        batchSize: [5, 2],
        l1ReorgProbability: 1.5,
        sequencers: 2,
        sequencerWeights: [1],
        l1ReorgAfterTicks: [20, 0],
      });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/batchSize.*l1ReorgProbability|l1ReorgProbability.*batchSize/);
    expect(attempt).toThrow(/sequencerWeights needs 2 entries/);
    expect(attempt).toThrow(/l1ReorgAfterTicks\[1\] must be an integer in \[1, /);
  });
});
