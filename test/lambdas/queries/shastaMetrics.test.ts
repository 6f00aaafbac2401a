import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeShastaMetrics, shastaProposalFinality } from "../../../lambdas/queries/shastaMetrics.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { l1Time, P, Q, R, seedShastaMetrics } from "./shastaMetricsSeed.js";

describe("computeShastaMetrics (DuckDB)", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    await seedShastaMetrics(sink);
  });
  afterAll(async () => {
    await sink.close();
  });

  it("gives each proposal's time to finality from the first canonical proof covering it as new", async () => {
    // Act
    const rows = await shastaProposalFinality(sink);
    // Assess — 1, 2 by the proof in 105; 3 in 115 (the orphaned proof in 110 does not count; the range 1–4
    // overlaps the finalized 1–2 without moving them); 4 re-included in 111; 5 in 120, not by the later one in 125
    expect(rows).toEqual([
      { proposalId: 1, proposedAt: l1Time(101), finalizedAt: l1Time(105), seconds: 48 },
      { proposalId: 2, proposedAt: l1Time(103), finalizedAt: l1Time(105), seconds: 24 },
      { proposalId: 3, proposedAt: l1Time(104), finalizedAt: l1Time(115), seconds: 132 },
      { proposalId: 4, proposedAt: l1Time(111), finalizedAt: l1Time(115), seconds: 48 },
      { proposalId: 5, proposedAt: l1Time(112), finalizedAt: l1Time(120), seconds: 96 },
    ]);
  });

  it("equals the hand-computed metrics of the canonical chain", async () => {
    // Act
    const m = await computeShastaMetrics(sink);
    // Assess — finality [48, 24, 132, 48, 96]: sorted [24, 48, 48, 96, 132], p95 rank 3.8 → 96 + 0.8 × 36
    expect(m.timeToFinality.samples).toBe(5);
    expect(m.timeToFinality.avg).toBeCloseTo(69.6, 9);
    expect(m.timeToFinality.p50).toBeCloseTo(48, 9);
    expect(m.timeToFinality.p95).toBeCloseTo(124.8, 9);
    // cadence 1→2→3→4→5 at blocks 101, 103, 104, 111, 112: [24, 12, 84, 12]; genesis 0 → 1 is no sample
    expect(m.proposalCadence.samples).toBe(4);
    expect(m.proposalCadence.avg).toBeCloseTo(33, 9);
    expect(m.proposalCadence.p50).toBeCloseTo(18, 9);
    expect(m.provers).toEqual([
      { prover: P, proofs: 2, proposalsFinalized: 3 },
      { prover: Q, proofs: 1, proposalsFinalized: 2 },
      { prover: R, proofs: 1, proposalsFinalized: 1 },
    ]);
    // saved 2 (the one in 110 is orphaned); included: 1 source of proposal 2, 2 of proposal 4 as re-included
    expect(m.forcedInclusions).toEqual({ saved: 2, included: 3, voided: 4 });
    expect(m.bonds).toEqual({
      settlements: 2,
      slashedSettlements: 1,
      livenessBondGwei: "3000",
      creditedGwei: "2500",
      slashedGwei: "500",
    });
  });

  it("places each fact by its own L1 time in the window, with null statistics where nothing is left", async () => {
    // Act: L1 blocks 112 … 120 (until is exclusive: the voiding in 121 and the proof in 125 are out)
    const m = await computeShastaMetrics(sink, { since: l1Time(112), until: l1Time(121) });
    // Assess: finalized in the window: 3, 4 (115) and 5 (120)
    expect(m.timeToFinality).toMatchObject({ samples: 3, avg: 92 });
    expect(m.proposalCadence).toEqual({ samples: 0, avg: null, p50: null, p95: null });
    expect(m.provers).toEqual([
      { prover: P, proofs: 1, proposalsFinalized: 1 },
      { prover: Q, proofs: 1, proposalsFinalized: 2 },
    ]);
    expect(m.forcedInclusions).toEqual({ saved: 0, included: 0, voided: 0 });
    expect(m.bonds).toEqual({
      settlements: 0,
      slashedSettlements: 0,
      livenessBondGwei: "0",
      creditedGwei: "0",
      slashedGwei: "0",
    });
  });
});
