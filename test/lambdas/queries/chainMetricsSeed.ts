import type { Sink } from "../../../lambdas/sink/Sink.js";
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
} from "../../support/events.js";

export const A = address(0xa);
export const B = address(0xb);
export const C = address(0xc);

/**
 * Canonical L2: 1@1000 (5 tx, A), 2@1002 (3, A), 3@1005 (0, B), 4@1006 (4, A), 5@1010 (8, B),
 * 6'@1013 (0, A), 8@1030 (15, B) — block 7 missing; 6@1012 (100 tx, C) orphaned by an L2 reorg.
 * Batches 1–4 proposed in L1 blocks 10, 15, 16, 21 (batch 4 first seen in block 20, orphaned).
 */
export async function seedChainMetrics(sink: Sink): Promise<void> {
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
