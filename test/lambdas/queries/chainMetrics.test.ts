import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChainMetrics } from "../../../lambdas/queries/chainMetrics.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { A, B, seedChainMetrics as seed } from "./chainMetricsSeed.js";

describe("computeChainMetrics", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    await seed(sink);
  });
  afterAll(async () => {
    await sink.close();
  });

  it("equals the hand-computed metrics of the canonical chain", async () => {
    // Act
    const m = await computeChainMetrics(sink);

    // Assess — L2 cadence over consecutive pairs 1→2…5→6': [2, 3, 1, 4, 3]
    expect(m.l2BlockCadence.samples).toBe(5);
    expect(m.l2BlockCadence.avg).toBeCloseTo(2.6, 9);
    expect(m.l2BlockCadence.p50).toBeCloseTo(3, 9);
    expect(m.l2BlockCadence.p95).toBeCloseTo(3.8, 9); // sorted [1,2,3,3,4], rank 3.8
    // proposals at T+120, T+180, T+192, T+252 → gaps [60, 12, 60]
    expect(m.batchPostingCadence.samples).toBe(3);
    expect(m.batchPostingCadence.avg).toBeCloseTo(44, 9);
    // prove: b1 360−120=240, b2 372−180=192, b3 432−192=240, b4 540−252=288
    expect(m.proveTime.samples).toBe(4);
    expect(m.proveTime.avg).toBeCloseTo(240, 9);
    expect(m.proveTime.p95).toBeCloseTo(280.8, 9); // sorted [192,240,240,288], rank 2.85
    // verify: b1 600−360=240, b2 600−372=228, b3 660−432=228, b4 660−540=120
    expect(m.verifyTime.samples).toBe(4);
    expect(m.verifyTime.avg).toBeCloseTo(204, 9);
    expect(m.verifyTime.p95).toBeCloseTo(238.2, 9);
    // 35 tx over 1030 − 1000 s
    expect(m.l2Blocks).toBe(7);
    expect(m.l2Transactions).toBe(35);
    expect(m.tps).toBeCloseTo(35 / 30, 9);
    expect(m.sequencers).toEqual([
      { sequencer: A, blocks: 4, share: 4 / 7 },
      { sequencer: B, blocks: 3, share: 3 / 7 },
    ]);
    expect(m.reorgs).toEqual([
      { chain: "l1", count: 2, maxDepth: 3, avgDepth: 2 },
      { chain: "l2", count: 1, maxDepth: 1, avgDepth: 1 },
    ]);
    expect(m.forcedInclusions).toBe(1);
  });

  it("restricts every metric to facts inside the window, with null statistics where nothing is left", async () => {
    // Act: L2 blocks 1–3 only; no proposal, proof, verification or reorg falls in [1000, 1006)
    const m = await computeChainMetrics(sink, { since: 1000, until: 1006 });
    // Assess
    expect(m.l2BlockCadence).toMatchObject({ samples: 2, avg: 2.5 });
    expect(m.l2Blocks).toBe(3);
    expect(m.tps).toBeCloseTo(8 / 5, 9);
    expect(m.batchPostingCadence).toEqual({ samples: 0, avg: null, p50: null, p95: null });
    expect(m.proveTime.avg).toBeNull();
    expect(m.verifyTime.avg).toBeNull();
    expect(m.reorgs.map((r) => r.count)).toEqual([0, 0]);
    expect(m.forcedInclusions).toBe(0);
  });
});
