import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { BatchLifecycleAttribute, BatchLifecycleState } from "./lifecycleMetrics.js";

/** The observed steps of a batch item; `nextProposedAt` is the next batch's proposal, kept on this item. */
export type ObservedStep = "proposedAt" | "provedAt" | "verifiedAt" | "nextProposedAt";

/** A lifecycle item's derived numeric attributes (a batch's, a Shasta proposal's). */
export type LifecycleState<A extends string> = Partial<Record<A, number>>;

/**
 * The attributes each observed step sets: the step's time first, then (proposals) the L2 block figures
 * taken from the observation's `lastBlockTs` and `blockCount`.
 */
export type DerivedSteps<A extends string> = Readonly<Record<string, readonly A[]>>;

/** One sighting of a step: the L1 block it was seen in, and for proposals the batch's L2 blocks. */
export interface StepObservation {
  /** An ObservedStep for batches; a kind's own step names otherwise (shastaLifecycleStore.ts). */
  readonly step: string;
  readonly blockHash: string;
  readonly blockNumber: number;
  readonly timestamp: number;
  readonly lastBlockTs?: number;
  readonly blockCount?: number;
}

const OBSERVATION_PREFIX = "obs#";

/** The item attribute holding one observation: one per (step, L1 block), so a replay rewrites the same one. */
export const observationAttribute = (o: Pick<StepObservation, "step" | "blockHash">): string =>
  `${OBSERVATION_PREFIX}${o.step}#${o.blockHash}`;

export function observationValue(o: StepObservation): AttributeValue {
  const m: Record<string, AttributeValue> = {
    n: { N: String(o.blockNumber) },
    t: { N: String(o.timestamp) },
  };
  if (o.lastBlockTs !== undefined) m.l = { N: String(o.lastBlockTs) };
  if (o.blockCount !== undefined) m.c = { N: String(o.blockCount) };
  return { M: m };
}

/** Every observation an item holds. */
export function observationsOf(item: Record<string, AttributeValue> | undefined): StepObservation[] {
  const out: StepObservation[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    if (!name.startsWith(OBSERVATION_PREFIX) || value.M === undefined) continue;
    const [step, blockHash] = name.slice(OBSERVATION_PREFIX.length).split("#") as [string, string];
    const num = (k: string) => (value.M?.[k]?.N === undefined ? undefined : Number(value.M[k].N));
    const { l, c } = { l: num("l"), c: num("c") };
    out.push({
      step,
      blockHash,
      blockNumber: num("n") ?? 0,
      timestamp: num("t") ?? 0,
      ...(l === undefined ? {} : { lastBlockTs: l }),
      ...(c === undefined ? {} : { blockCount: c }),
    });
  }
  return out;
}

/** The attributes each observed step of a batch sets: the step's time, and for proposals their L2 block figures. */
export const BATCH_DERIVED: Record<ObservedStep, readonly BatchLifecycleAttribute[]> = {
  proposedAt: ["proposedAt", "lastBlockTs", "blockCount"],
  provedAt: ["provedAt"],
  verifiedAt: ["verifiedAt"],
  nextProposedAt: ["nextProposedAt", "nextLastBlockTs", "nextBlockCount"],
};

/**
 * The lifecycle state the observations say now: each step from its earliest observation in a block that
 * is still canonical (ties broken by hash, so the answer does not depend on arrival order), absent when
 * every observation of it is orphaned. A step with no observation at all keeps `current` (items written
 * before observations were kept).
 */
export function canonicalStateOf<A extends string>(
  derived: DerivedSteps<A>,
  observations: readonly StepObservation[],
  isOrphaned: (blockHash: string) => boolean,
  current: LifecycleState<A>,
): LifecycleState<A> {
  const state: LifecycleState<A> = {};
  for (const [step, names] of Object.entries(derived)) {
    const seen = observations.filter((o) => o.step === step);
    if (seen.length === 0) {
      for (const name of names) if (current[name] !== undefined) state[name] = current[name];
      continue;
    }
    const best = seen
      .filter((o) => !isOrphaned(o.blockHash))
      .sort((a, b) => a.timestamp - b.timestamp || a.blockHash.localeCompare(b.blockHash))[0];
    if (best === undefined) continue;
    const [time, lastTs, count] = names;
    if (time) state[time] = best.timestamp;
    if (lastTs && best.lastBlockTs !== undefined) state[lastTs] = best.lastBlockTs;
    if (count && best.blockCount !== undefined) state[count] = best.blockCount;
  }
  return state;
}

/** A batch waits for a proof while it is proposed and neither proved nor verified: the unproven index. */
export const isUnproven = (s: BatchLifecycleState): boolean =>
  s.proposedAt !== undefined && s.provedAt === undefined && s.verifiedAt === undefined;
