import { describe, expect, it } from "vitest";
import { ledgerChange, METRICS_EMITTED_ATTRIBUTE } from "../../../lambdas/processor/chainSampleLedger.js";
import { chainSamplesOf } from "../../../lambdas/processor/lifecycleMetrics.js";
import { ChainMetric, ChainMetricRetracted } from "../../../lambdas/shared/metricNames.js";

const names = (samples: readonly { name: string; value: number }[]) => samples.map((s) => [s.name, s.value]);

describe("chainSamplesOf", () => {
  it("gives each metric whose pair of steps is known, once", () => {
    // Prepare: batch k proposed, proved, and batch k+1 (4 blocks) proposed 24 s later.
    const state = {
      proposedAt: 1000,
      lastBlockTs: 999,
      blockCount: 2,
      provedAt: 4600,
      nextProposedAt: 1024,
      nextLastBlockTs: 1023,
      nextBlockCount: 4,
    };

    // Act
    const samples = chainSamplesOf(state);

    // Assess
    expect(names(samples)).toEqual([
      [ChainMetric.BatchesProposed, 1],
      [ChainMetric.BatchProveTimeSeconds, 3600],
      [ChainMetric.BatchPostingIntervalSeconds, 24],
      [ChainMetric.L2BlockIntervalSeconds, 6],
    ]);
  });

  it("gives nothing for a batch not proposed on the canonical chain, and skips negative spans", () => {
    // Prepare: a proof and the next proposal without this batch's proposal; a proof in an older L1 block.
    const unproposed = { provedAt: 4600, nextProposedAt: 1024, nextLastBlockTs: 1023, nextBlockCount: 4 };
    const inconsistent = { proposedAt: 1000, provedAt: 900 };

    // Act
    const none = chainSamplesOf(unproposed);
    const proposedOnly = chainSamplesOf(inconsistent);

    // Assess
    expect(none).toEqual([]);
    expect(names(proposedOnly)).toEqual([[ChainMetric.BatchesProposed, 1]]);
  });
});

describe("ledgerChange", () => {
  const ledgerOf = (values: Record<string, number>) => ({
    [METRICS_EMITTED_ATTRIBUTE]: {
      M: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { N: String(v) }])),
    },
  });
  const none = () => [];

  it("retracts a value a reorg changed and emits the new one; emits nothing for an unchanged one", () => {
    // Prepare: the proof was first seen in a block 12 s earlier than the one the chain holds now.
    const item = ledgerOf({ [ChainMetric.BatchesProposed]: 1, [ChainMetric.BatchProveTimeSeconds]: 3600 });
    const want = chainSamplesOf({ proposedAt: 1000, provedAt: 4612 });

    // Act
    const change = ledgerChange(item, want, none);

    // Assess
    expect(names(change.points)).toEqual([
      [ChainMetricRetracted.BatchProveTimeSeconds, 3600],
      [ChainMetric.BatchProveTimeSeconds, 3612],
    ]);
    expect(ledgerChange({ [METRICS_EMITTED_ATTRIBUTE]: change.ledger }, want, none).points).toEqual([]);
  });

  it("retracts every metric of a batch whose proposal left the canonical chain", () => {
    // Prepare
    const item = ledgerOf({ [ChainMetric.BatchesProposed]: 1, [ChainMetric.BatchProveTimeSeconds]: 3600 });

    // Act
    const change = ledgerChange(item, chainSamplesOf({ provedAt: 4600 }), none);

    // Assess
    expect(names(change.points)).toEqual([
      [ChainMetricRetracted.BatchesProposed, 1],
      [ChainMetricRetracted.BatchProveTimeSeconds, 3600],
    ]);
    expect(change.ledger).toEqual({ M: {} });
  });

  it("takes an item without a ledger to have emitted what its state showed (the code before ledgers)", () => {
    // Prepare: an item whose proposal and proof were recorded (and emitted) before the ledger was kept.
    const before = { proposedAt: 1000, provedAt: 4600 };

    // Act: its verification arrives
    const change = ledgerChange({}, chainSamplesOf({ ...before, verifiedAt: 8200 }), () =>
      chainSamplesOf(before),
    );

    // Assess
    expect(names(change.points)).toEqual([[ChainMetric.BatchVerifyTimeSeconds, 7200]]);
  });
});
