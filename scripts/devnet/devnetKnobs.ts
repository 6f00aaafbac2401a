import { ConfigError } from "../../lambdas/shared/errors.js";
import type { Range } from "./createPrng.js";

/** How the devnet behaves. Block times are chain time; only `pacingMsPerL2Block` is wall-clock time. */
export interface DevnetKnobs {
  /** Chain seconds between L2 blocks. @default 2 */
  readonly l2BlockTimeSec: number;
  /** Chain seconds between L1 blocks. @default 12 */
  readonly l1BlockTimeSec: number;
  /** Transfers per L2 block (0 gives an empty block). @default [0, 4] */
  readonly txPerBlock: Range;
  /** Number of L2 sequencers (coinbases, also the L1 proposers); dev accounts 0…n−1, at most 5. @default 3 */
  readonly sequencers: number;
  /** Relative share of L2 blocks each sequencer builds. @default [n, n−1, …, 1] */
  readonly sequencerWeights?: readonly number[];
  /** L2 blocks per proposed batch. @default [3, 8] */
  readonly batchSize: Range;
  /** L1 blocks between a batch's proposal and its proof. @default [1, 4] */
  readonly proveDelayL1Blocks: Range;
  /** L1 blocks between a batch's proof and its verification (verification is in batch order). @default [1, 3] */
  readonly verifyDelayL1Blocks: Range;
  /** A forced inclusion is processed with every n-th proposed batch; 0 never. @default 5 */
  readonly forcedInclusionEvery: number;
  /** Chance, per L2 block, that a reorg of unproposed L2 blocks comes first. @default 0.02 */
  readonly l2ReorgProbability: number;
  /** @default 3 */
  readonly l2ReorgMaxDepth: number;
  /** Chance, per L1 block, that a reorg (re-including the dropped transactions) comes first. @default 0.03 */
  readonly l1ReorgProbability: number;
  /** @default 2 */
  readonly l1ReorgMaxDepth: number;
  /**
   * L1 ticks (counted from deployment, as PRECONF_SCHEDULE's) whose block is reorged out at the next tick,
   * depth 1, its transactions re-included one block later: a chosen block orphaned, whatever the draws.
   * @default []
   */
  readonly l1ReorgAfterTicks: readonly number[];
  /**
   * Chance, per L1 / L2 block, that an A→B→A flip starts: a reorg to B (as above), then after a few
   * blocks a reorg back to A's very blocks (same hashes; B's blocks and those on top dropped). @default 0
   */
  readonly l1FlipProbability: number;
  /** @default 0 */
  readonly l2FlipProbability: number;
  /**
   * One deep L2 reorg: proposals pause for `depth` blocks before story block `atL2Block`, then the newest
   * `depth` L2 blocks are replaced (deeper than an ingestor's recent-hash window when depth > 256).
   * @default none
   */
  readonly l2DeepReorg?: { readonly atL2Block: number; readonly depth: number };
  /** Wall-clock milliseconds per L2 block in `run()`; 0 runs as fast as the nodes allow. @default 150 */
  readonly pacingMsPerL2Block: number;
  /**
   * Chain seconds after the deployment at which Shasta activates (rounded up to an L1 block): Pacaya
   * before, Shasta after (scripts/devnet/shastaFork.ts). 0 never activates it. @default 300
   */
  readonly shastaActivationDelaySec: number;
}

export const DEFAULT_DEVNET_KNOBS: DevnetKnobs = Object.freeze<DevnetKnobs>({
  l2BlockTimeSec: 2,
  l1BlockTimeSec: 12,
  txPerBlock: [0, 4],
  sequencers: 3,
  batchSize: [3, 8],
  proveDelayL1Blocks: [1, 4],
  verifyDelayL1Blocks: [1, 3],
  forcedInclusionEvery: 5,
  l2ReorgProbability: 0.02,
  l2ReorgMaxDepth: 3,
  l1ReorgProbability: 0.03,
  l1ReorgMaxDepth: 2,
  l1ReorgAfterTicks: [],
  l1FlipProbability: 0,
  l2FlipProbability: 0,
  pacingMsPerL2Block: 150,
  shastaActivationDelaySec: 300,
});

/** Dev accounts 0…4 are sequencers; 5 proves and verifies, 9 deploys (see createDevnet). */
export const MAX_SEQUENCERS = 5;

export type ResolvedDevnetKnobs = DevnetKnobs & { readonly sequencerWeights: readonly number[] };

/** Merges overrides onto the defaults and rejects a bad combination, listing every problem at once. */
export function resolveDevnetKnobs(overrides: Partial<DevnetKnobs> = {}): ResolvedDevnetKnobs {
  const k = { ...DEFAULT_DEVNET_KNOBS, ...overrides };
  const weights = k.sequencerWeights ?? Array.from({ length: k.sequencers }, (_, i) => k.sequencers - i);
  const problems: string[] = [];
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max)
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  const range = (name: string, r: Range, min: number, max = Number.MAX_SAFE_INTEGER) => {
    int(`${name}[0]`, r[0], min, max);
    int(`${name}[1]`, r[1], min, max);
    if (r[0] > r[1]) problems.push(`${name} is [min, max] but ${r[0]} > ${r[1]}`);
  };
  const probability = (name: string, p: number) => {
    if (!(p >= 0 && p <= 1)) problems.push(`${name} must be in [0, 1], got ${p}`);
  };
  int("l2BlockTimeSec", k.l2BlockTimeSec, 1);
  int("l1BlockTimeSec", k.l1BlockTimeSec, 1);
  range("txPerBlock", k.txPerBlock, 0, 200);
  int("sequencers", k.sequencers, 1, MAX_SEQUENCERS);
  if (weights.length !== k.sequencers)
    problems.push(`sequencerWeights needs ${k.sequencers} entries, got ${weights.length}`);
  if (weights.some((w) => !(w > 0))) problems.push("sequencerWeights must all be > 0");
  range("batchSize", k.batchSize, 1, 1000);
  range("proveDelayL1Blocks", k.proveDelayL1Blocks, 1);
  range("verifyDelayL1Blocks", k.verifyDelayL1Blocks, 1);
  int("forcedInclusionEvery", k.forcedInclusionEvery, 0);
  probability("l2ReorgProbability", k.l2ReorgProbability);
  int("l2ReorgMaxDepth", k.l2ReorgMaxDepth, 1, 64);
  probability("l1ReorgProbability", k.l1ReorgProbability);
  int("l1ReorgMaxDepth", k.l1ReorgMaxDepth, 1, 64);
  for (const [i, t] of k.l1ReorgAfterTicks.entries()) int(`l1ReorgAfterTicks[${i}]`, t, 1);
  int("shastaActivationDelaySec", k.shastaActivationDelaySec, 0);
  probability("l1FlipProbability", k.l1FlipProbability);
  probability("l2FlipProbability", k.l2FlipProbability);
  if (k.l2DeepReorg !== undefined) {
    int("l2DeepReorg.depth", k.l2DeepReorg.depth, 1, 10_000);
    int("l2DeepReorg.atL2Block", k.l2DeepReorg.atL2Block, k.l2DeepReorg.depth + 2);
  }
  if (!(k.pacingMsPerL2Block >= 0))
    problems.push(`pacingMsPerL2Block must be >= 0, got ${k.pacingMsPerL2Block}`);
  if (problems.length > 0) throw new ConfigError("devnet knobs", problems.join("; "));
  return { ...k, sequencerWeights: weights };
}
