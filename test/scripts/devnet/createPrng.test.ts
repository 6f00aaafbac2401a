import { describe, expect, it } from "vitest";
import { createPrng } from "../../../scripts/devnet/createPrng.js";

describe("createPrng", () => {
  it("replays the same sequence from the same seed and another from another seed", () => {
    // Prepare
    const draw = (seed: number | string) => {
      const rng = createPrng(seed);
      return [rng.int([0, 1000]), rng.next(), rng.bytes32(), rng.weighted([1, 2, 3])];
    };

    // Act
    const [a, b, c] = [draw("story"), draw("story"), draw("other")];

    // Assess
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("stays within inclusive ranges and follows the weights", () => {
    // Prepare
    const rng = createPrng(7);
    const counts = new Map<number, number>();

    // Act
    const ints = Array.from({ length: 2000 }, () => rng.int([3, 5]));
    for (let i = 0; i < 6000; i++) {
      const pick = rng.weighted([3, 2, 1]);
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }

    // Assess
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const [first, second, third] = [0, 1, 2].map((i) => counts.get(i) ?? 0);
    expect(first).toBeGreaterThan(second ?? 0);
    expect(second).toBeGreaterThan(third ?? 0);
    expect(third).toBeGreaterThan(0);
    expect([...counts.keys()].sort()).toEqual([0, 1, 2]);
  });
});
