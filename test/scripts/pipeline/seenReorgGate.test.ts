import { describe, expect, it } from "vitest";
import { createSeenReorgGate } from "../../../scripts/pipeline/seenReorgGate.js";

describe("createSeenReorgGate", () => {
  it("holds the first reorg per chain until the ingestor has published past the head, then lets later ones through", async () => {
    const gate = createSeenReorgGate(1);
    const next = { l1: 0, l2: 5 };
    gate.watch(next);
    let released = false;
    const first = gate.beforeReorg("l2", 9).then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(released).toBe(false);
    next.l2 = 9;
    await new Promise((r) => setTimeout(r, 150));
    expect(released).toBe(false);
    next.l2 = 10;
    await first;
    expect(released).toBe(true);
    // The second L2 reorg is not held; the first L1 one is, independently.
    await gate.beforeReorg("l2", 50);
    let l1Released = false;
    const l1 = gate.beforeReorg("l1", 3).then(() => {
      l1Released = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(l1Released).toBe(false);
    next.l1 = 4;
    await l1;
  });

  it("lets a reorg come after its wait limit when no ingestor catches up", async () => {
    const gate = createSeenReorgGate(1, 200);
    // Never watched: without the limit this would hang past the test's timeout.
    await expect(gate.beforeReorg("l1", 100)).resolves.toBeUndefined();
  });
});
