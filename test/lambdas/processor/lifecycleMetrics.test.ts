import { describe, expect, it } from "vitest";
import { afterWrite, chainSamplesOf } from "../../../lambdas/processor/lifecycleMetrics.js";
import { ChainMetric } from "../../../lambdas/shared/metricNames.js";

const names = (samples: { name: string; value: number }[]) => samples.map((s) => [s.name, s.value]);

describe("chainSamplesOf", () => {
  it("emits a pair's metric from the write that completes it, and nothing from a repeat", () => {
    // Prepare
    const before = { proposedAt: 1000, lastBlockTs: 999, blockCount: 3 };
    const proof = { provedAt: 4600 };

    // Act
    const first = chainSamplesOf(before, afterWrite(before, proof));
    const repeat = chainSamplesOf(afterWrite(before, proof), afterWrite(afterWrite(before, proof), proof));

    // Assess
    expect(names(first)).toEqual([[ChainMetric.BatchProveTimeSeconds, 3600]]);
    expect(repeat).toEqual([]);
  });

  it("counts a proposal once, and pairs it with the next batch's proposal already recorded", () => {
    // Prepare: batch k+1 was proposed first (another partition); now batch k's proposal lands.
    const before = { nextProposedAt: 1024, nextLastBlockTs: 1023, nextBlockCount: 4 };
    const proposal = { proposedAt: 1000, lastBlockTs: 999, blockCount: 2 };

    // Act
    const samples = chainSamplesOf(before, afterWrite(before, proposal));

    // Assess
    expect(names(samples)).toEqual([
      [ChainMetric.BatchesProposed, 1],
      [ChainMetric.BatchPostingIntervalSeconds, 24],
      [ChainMetric.L2BlockIntervalSeconds, 6],
    ]);
  });

  it("skips what it cannot measure: negative spans and items written before block data was kept", () => {
    // Prepare: an item from before this code kept lastBlockTs; a proof seen in an older L1 block.
    const before = { proposedAt: 1000 };
    const written = { nextProposedAt: 1012, nextLastBlockTs: 1011, nextBlockCount: 3, provedAt: 900 };

    // Act
    const samples = chainSamplesOf(before, afterWrite(before, written));

    // Assess
    expect(names(samples)).toEqual([[ChainMetric.BatchPostingIntervalSeconds, 12]]);
  });
});
