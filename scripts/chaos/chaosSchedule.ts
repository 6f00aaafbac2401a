import type { Chain } from "../../lambdas/shared/events.js";
import { FAULT_POINTS, type FaultPointName } from "../../lambdas/shared/faultPoints.js";
import { createPrng, type Prng } from "../devnet/createPrng.js";
import { DEFAULT_DEVNET_KNOBS, type DevnetKnobs } from "../devnet/devnetKnobs.js";
import { BAD_LOG_KINDS, type BadLogKind } from "./badInboxLogs.js";
import type { RpcFaultMode } from "./faultyRpcProxy.js";

/** A fault that holds from L2 block `from` (inclusive) to `to` (exclusive) of the devnet's story. */
export type FaultWindow = { readonly from: number; readonly to: number } & (
  | { readonly kind: "sinkDown" }
  | { readonly kind: "sinkSlow"; readonly delayMs: number }
  | { readonly kind: "sinkReject"; readonly probability: number }
  | { readonly kind: "dynamoThrottle"; readonly probability: number }
  | { readonly kind: "dynamoPartial"; readonly probability: number }
  | { readonly kind: "sqsThrottle"; readonly probability: number }
  | { readonly kind: "sqsPartial"; readonly probability: number }
  | { readonly kind: "dynamoLostAnswer"; readonly probability: number }
  | { readonly kind: "sqsLostAnswer"; readonly probability: number }
  | {
      /** The provider behind one RPC URL lags (or is a load balancer over a lagging and a healthy node). */
      readonly kind: "provider";
      readonly chain: Chain;
      readonly proxy: 0 | 1;
      readonly mode: "lagging" | "loadBalanced";
      readonly lagBlocks: number;
    }
  | {
      readonly kind: "rpc";
      readonly chain: Chain;
      readonly proxy: 0 | 1;
      readonly mode: Exclude<RpcFaultMode, "ok">;
    }
);

/** Everything a chaos run injects, derived from the seed alone: the same seed replays the same schedule. */
export interface ChaosSchedule {
  readonly seed: number;
  /** L2 blocks the devnet mines while faults are injected. */
  readonly l2Blocks: number;
  readonly knobs: Partial<DevnetKnobs>;
  /** For each crash point, the hits (1-based, counted over the whole run) at which the runtime dies. */
  readonly crashes: Readonly<Record<FaultPointName, readonly number[]>>;
  readonly windows: readonly FaultWindow[];
  /** Chance that a published message is sent again with the same dedup id (SQS drops it) / a new one (DynamoDB drops it). */
  readonly duplicates: { readonly sameId: number; readonly newId: number };
  /** Poison messages sent at these blocks (cycling through the poison kinds from `offset`). */
  readonly poison: readonly { readonly atBlock: number; readonly count: number; readonly offset: number }[];
  /** Blocks at which a chain's ingestor lease is expired under the running ingestor (lease loss mid-run). */
  readonly leaseSteals: readonly { readonly atBlock: number; readonly chain: Chain }[];
  /** Blocks at which an extra ingestor invocation starts beside the scheduled ones. */
  readonly extraIngestors: readonly number[];
  /** Bad and absurd inbox logs emitted on L1 (badInboxLogs.ts), one of each kind. */
  readonly badLogs: readonly { readonly atBlock: number; readonly kind: BadLogKind }[];
}

export interface ChaosScheduleOptions {
  /** @default 500 */
  readonly l2Blocks?: number;
}

/** Ranges of hits per crash point: the points are hit at different rates (per poll, per batch, per publish). */
const CRASH_HIT_RANGE: Record<FaultPointName, readonly [number, number]> = {
  "ingestor.afterFetch": [3, 80],
  "ingestor.midPublish": [3, 120],
  "ingestor.afterPublish": [2, 40],
  "processor.afterClaim": [3, 120],
  "processor.afterSink": [3, 120],
  "processor.afterComplete": [3, 120],
};

export function chaosSchedule(seed: number, options: ChaosScheduleOptions = {}): ChaosSchedule {
  const l2Blocks = options.l2Blocks ?? 500;
  const prng = createPrng(`chaos:${seed}`);
  // Faults end before the last stretch: the story closes with the causes fixed, as an operator would.
  const last = Math.max(20, l2Blocks - 40);
  const window = (minLen: number, maxLen: number) => {
    const length = prng.int([minLen, maxLen]);
    const from = prng.int([10, Math.max(10, last - length)]);
    return { from, to: Math.min(last, from + length) };
  };

  const crashes = {} as Record<FaultPointName, number[]>;
  for (const point of FAULT_POINTS) {
    const hits = new Set<number>();
    const n = prng.int([1, 2]);
    for (let i = 0; i < n; i++) hits.add(prng.int(CRASH_HIT_RANGE[point] as [number, number]));
    crashes[point] = [...hits].sort((a, b) => a - b);
  }

  const windows: FaultWindow[] = [
    { kind: "sinkDown", ...window(10, 40) },
    { kind: "sinkSlow", delayMs: prng.int([100, 600]), ...window(20, 60) },
    { kind: "sinkReject", probability: 0.02 + prng.next() * 0.05, ...window(20, 60) },
    { kind: "dynamoThrottle", probability: 0.1 + prng.next() * 0.25, ...window(20, 60) },
    { kind: "dynamoPartial", probability: 0.05 + prng.next() * 0.2, ...window(20, 60) },
    { kind: "sqsThrottle", probability: 0.1 + prng.next() * 0.25, ...window(20, 60) },
    { kind: "sqsPartial", probability: 0.05 + prng.next() * 0.25, ...window(20, 60) },
    ...worldWindows(prng, window),
  ];
  const rpcFaults = prng.int([3, 5]);
  const modes = ["down", "timeout", "429", "error", "wideLogs"] as const;
  for (let i = 0; i < rpcFaults; i++) {
    const mode = modes[prng.int([0, modes.length - 1])] as (typeof modes)[number];
    // Only L1 is read with eth_getLogs (the inbox); only its proxy can refuse a wide range.
    const chain: Chain = mode === "wideLogs" || prng.chance(0.5) ? "l1" : "l2";
    windows.push({ kind: "rpc", chain, proxy: prng.chance(0.5) ? 0 : 1, mode, ...window(15, 60) });
  }

  const poison = Array.from({ length: prng.int([1, 3]) }, () => ({
    atBlock: prng.int([5, last]),
    count: prng.int([1, 4]),
    offset: prng.int([0, 3]),
  }));
  const leaseSteals = Array.from({ length: prng.int([1, 3]) }, () => ({
    atBlock: prng.int([10, last]),
    chain: (prng.chance(0.5) ? "l1" : "l2") as Chain,
  }));
  const extraIngestors = Array.from({ length: prng.int([2, 5]) }, () => prng.int([5, last]));
  const badLogs = BAD_LOG_KINDS.map((kind) => ({ atBlock: prng.int([10, last]), kind }));

  return {
    seed,
    l2Blocks,
    knobs: devnetKnobs(prng, seed, l2Blocks),
    crashes,
    windows: windows.sort((a, b) => a.from - b.from),
    duplicates: { sameId: 0.01 + prng.next() * 0.04, newId: 0.01 + prng.next() * 0.04 },
    poison,
    leaseSteals,
    extraIngestors: extraIngestors.sort((a, b) => a - b),
    badLogs,
  };
}

/**
 * The faults of the world beyond a flaky provider (issue #15): lagging providers and load balancers over
 * nodes at different heights, and AWS writes applied whose answers are lost.
 */
function worldWindows(prng: Prng, window: (minLen: number, maxLen: number) => { from: number; to: number }) {
  const windows: FaultWindow[] = [
    { kind: "dynamoLostAnswer", probability: 0.03 + prng.next() * 0.07, ...window(20, 60) },
    // SQS sends are the ingestor's publishes: with bundles (eventBundle.ts) about one SendMessageBatch per
    // chain per invocation, a handful in a 150-block window, so 15-30 % gave most seeds none. A longer
    // window and an even chance give every seed several; a send whose retries all lose their answer
    // fails the publish, which the next invocation repeats under the same deduplication ids.
    { kind: "sqsLostAnswer", probability: 0.4 + prng.next() * 0.2, ...window(150, 300) },
  ];
  for (const mode of ["lagging", "loadBalanced"] as const) {
    for (const chain of ["l1", "l2"] as const) {
      // Mostly the first URL, the one the ingestor reads first; the other stays healthy beside it.
      windows.push({
        kind: "provider",
        chain,
        proxy: prng.chance(0.75) ? 0 : 1,
        mode,
        lagBlocks: chain === "l1" ? prng.int([1, 3]) : prng.int([2, 10]),
        ...window(20, 60),
      });
    }
  }
  return windows;
}

/** Seeds with a deep L2 reorg (deeper than the ingestor's 256-hash window): 3 in 5, to bound the cost. */
export const hasDeepReorg = (seed: number): boolean => [1, 2, 3].includes(((seed % 5) + 5) % 5);

/**
 * The L2 step by which the devnet has crossed into Shasta (its default activation delay in L2 blocks,
 * plus an L1 block's worth): a deep reorg held from before it would lose its blocks to the activation
 * tick, which proposes every Pacaya block left.
 */
const SHASTA_STEP =
  Math.ceil(DEFAULT_DEVNET_KNOBS.shastaActivationDelaySec / DEFAULT_DEVNET_KNOBS.l2BlockTimeSec) +
  Math.ceil(DEFAULT_DEVNET_KNOBS.l1BlockTimeSec / DEFAULT_DEVNET_KNOBS.l2BlockTimeSec);

function devnetKnobs(prng: Prng, seed: number, l2Blocks: number): Partial<DevnetKnobs> {
  const depth = prng.int([290, 310]);
  const earliest = SHASTA_STEP + depth + 5;
  const deep =
    hasDeepReorg(seed) && l2Blocks >= earliest + 20
      ? { l2DeepReorg: { depth, atL2Block: prng.int([earliest, l2Blocks - 20]) } }
      : {};
  return {
    l2ReorgProbability: 0.03 + prng.next() * 0.07,
    l1ReorgProbability: 0.05 + prng.next() * 0.15,
    // About 4 flips per chain per seed (~85 L1 and 500 L2 blocks).
    l1FlipProbability: 0.03 + prng.next() * 0.04,
    l2FlipProbability: 0.005 + prng.next() * 0.01,
    ...deep,
    pacingMsPerL2Block: 0,
  };
}

/** The schedule as compact lines, to print with a failing seed. */
export function describeSchedule(schedule: ChaosSchedule): string {
  const lines = [
    `seed ${schedule.seed}, ${schedule.l2Blocks} L2 blocks, devnet knobs ${JSON.stringify(schedule.knobs)}`,
    `crashes: ${Object.entries(schedule.crashes)
      .map(([p, hits]) => `${p}@${hits.join("/")}`)
      .join(", ")}`,
    ...schedule.windows.map((w) => {
      const { from, to, kind, ...rest } = w;
      return `blocks ${from}-${to}: ${kind} ${JSON.stringify(rest)}`;
    }),
    `duplicates: ${JSON.stringify(schedule.duplicates)}`,
    `poison: ${schedule.poison.map((p) => `${p.count}@${p.atBlock}`).join(", ")}`,
    `lease steals: ${schedule.leaseSteals.map((s) => `${s.chain}@${s.atBlock}`).join(", ")}`,
    `extra ingestors at: ${schedule.extraIngestors.join(", ")}`,
    `bad logs: ${schedule.badLogs.map((b) => `${b.kind}@${b.atBlock}`).join(", ")}`,
  ];
  return lines.join("\n");
}
