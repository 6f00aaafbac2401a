import type { Hex } from "viem";

/** Inclusive integer range `[min, max]`. */
export type Range = readonly [min: number, max: number];

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in the inclusive range. */
  int(range: Range): number;
  /** True with probability `p`. Always draws, so the sequence does not depend on `p`. */
  chance(p: number): boolean;
  /** An index into `weights`, chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
  /** 32 pseudo-random bytes. */
  bytes32(): Hex;
}

/**
 * A small seeded PRNG (sfc32) so that a devnet story replays exactly from its seed.
 * Not cryptographic; string seeds are folded to 128 bits with FNV-1a.
 */
export function createPrng(seed: number | string): Prng {
  const text = String(seed);
  const words = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b].map((basis, lane) => {
    let h = basis ^ lane;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h >>> 0;
  });
  let [a, b, c, d] = words as [number, number, number, number];
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 correlate with the seed words.
  for (let i = 0; i < 16; i++) u32();

  const next = (): number => u32() / 2 ** 32;
  return {
    next,
    int: ([min, max]) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    weighted: (weights) => {
      const total = weights.reduce((s, w) => s + w, 0);
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i] ?? 0;
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
    bytes32: () => {
      let hex = "0x";
      for (let i = 0; i < 8; i++) hex += u32().toString(16).padStart(8, "0");
      return hex as Hex;
    },
  };
}
