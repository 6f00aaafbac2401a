import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChainMetrics } from "../../../lambdas/sink/chainMetrics.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import {
  address,
  at,
  forcedInclusion,
  hash,
  l2Header,
  proposed,
  proved,
  record,
  reorg,
  verified,
} from "./helpers.js";

const A = address(0xa);
const B = address(0xb);
const C = address(0xc);

/**
 * Canonical L2: 1@1000 (5 tx, A), 2@1002 (3, A), 3@1005 (0, B), 4@1006 (4, A), 5@1010 (8, B),
 * 6'@1013 (0, A), 8@1030 (15, B) — block 7 missing; 6@1012 (100 tx, C) orphaned by an L2 reorg.
 * Batches 1–4 proposed in L1 blocks 10, 15, 16, 21 (batch 4 first seen in block 20, orphaned).
 */
async function seed(sink: DuckDbSink): Promise<void> {
  const l2 = (n: number, ts: number, txCount: number, miner: string, label = `l2:${n}`) =>
    record(l2Header(n, { timestamp: ts, txCount, miner, hash: hash(label) }));
  await sink.write([
    l2(1, 1000, 5, A),
    l2(2, 1002, 3, A),
    l2(3, 1005, 0, B),
    l2(4, 1006, 4, A),
    l2(5, 1010, 8, B),
    l2(6, 1012, 100, C),
    l2(6, 1013, 0, A, "l2alt:6"),
    l2(8, 1030, 15, B),
    record(reorg("l2", 6, 6)),
  ]);
  const tx4 = { txHash: hash("tx:batch4") };
  await sink.write([
    record(proposed(1, at(10))),
    record(proposed(2, at(15))),
    record(proposed(3, at(16))),
    record(proposed(4, at(20, tx4))),
    record(proposed(4, at(21, tx4))),
    // first proofs: b1 @ block 30, b2 @ 31, b3 @ 36 (its proof in orphaned block 20 must not count), b4 @ 45
    record(proved(1, at(30))),
    record(proved(1, at(40))),
    record(proved(2, at(31))),
    record(proved(3, at(20, { logIndex: 1 }))),
    record(proved(3, at(36))),
    record(proved(4, at(45))),
    // BatchesVerified(2) verifies 1–2, BatchesVerified(4) verifies 3–4
    record(verified(2, at(50))),
    record(verified(4, at(55))),
    record(forcedInclusion("a", at(25))),
    record(forcedInclusion("b", at(20, { logIndex: 2 }))),
    record(reorg("l1", 20, 20)),
    record(reorg("l1", 70, 72)),
  ]);
}

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
