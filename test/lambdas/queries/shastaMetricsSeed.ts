import type { Sink } from "../../../lambdas/sink/Sink.js";
import { address, at, hash, record, reorg } from "../../support/events.js";
import {
  settledBond,
  shastaBond,
  shastaProposed,
  shastaProved,
  shastaSaved,
  shastaVoided,
} from "../../support/shastaEvents.js";

export const P = address(0xd1);
export const Q = address(0xd2);
export const R = address(0xd3);
/** L1 block n is at T0 + 12 n (helpers.ts `at`). */
export const T0 = 1_700_000_000;
export const l1Time = (n: number) => T0 + 12 * n;

/**
 * Proposals (L1 block): genesis 0 (100), 1 (101), 2 (103, one forced source), 3 (104), 4 (first in 110,
 * orphaned; re-included in 111, two forced sources), 5 (112).
 * Proofs: {1, new 1, last 2} by P in 105; {1, new 3, last 3} by Q in 110 (orphaned); {1, new 3, last 4}
 * by Q in 115 (overlaps the finalized 1–2); {4, new 5, last 5} by P in 120; {5, new 5, last 5} by R in 125
 * (later than the first proof of 5: not its finality).
 * Forced inclusions: saved twice in 102, once in 110 (orphaned); voided 3 → 7 in 121 (and 1 → 9 in 110, orphaned).
 * Bonds: settled 1000 (500 slashed) in 106, 2000 (none slashed) in 107, 3000 (all slashed) in 110 (orphaned); a deposit in 106.
 */
export async function seedShastaMetrics(sink: Sink): Promise<void> {
  const tx4 = { txHash: hash("tx:proposal4") };
  await sink.write([
    record(shastaProposed(0, at(100), { sources: 0 })),
    record(shastaProposed(1, at(101))),
    record(shastaProposed(2, at(103), { sources: 2, forced: 1 })),
    record(shastaProposed(3, at(104))),
    record(shastaProposed(4, at(110, tx4), { sources: 3, forced: 2 })),
    record(shastaProposed(4, at(111, tx4), { sources: 3, forced: 2 })),
    record(shastaProposed(5, at(112))),
    record(shastaProved({ first: 1, firstNew: 1, last: 2 }, at(105), P)),
    record(shastaProved({ first: 1, firstNew: 3, last: 3 }, at(110, { logIndex: 1 }), Q)),
    record(shastaProved({ first: 1, firstNew: 3, last: 4 }, at(115), Q)),
    record(shastaProved({ first: 4, firstNew: 5, last: 5 }, at(120), P)),
    record(shastaProved({ first: 5, firstNew: 5, last: 5 }, at(125), R)),
    record(shastaSaved(at(102))),
    record(shastaSaved(at(102, { logIndex: 1 }), 1)),
    record(shastaSaved(at(110, { logIndex: 2 }))),
    record(shastaVoided(at(121), 3, 7)),
    record(shastaVoided(at(110, { logIndex: 3 }), 1, 9)),
    record(shastaBond(settledBond("1000", "500"), at(106))),
    record(
      shastaBond(
        { kind: "deposited", depositor: address(0xe1), recipient: address(0xe2), amountGwei: "7" },
        at(106, { logIndex: 1 }),
      ),
    ),
    record(shastaBond(settledBond("2000", "0"), at(107))),
    record(shastaBond(settledBond("3000", "3000"), at(110, { logIndex: 4 }))),
    record(reorg("l1", 110, 110)),
  ]);
}
