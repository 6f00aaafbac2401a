import type { PipelineEvent, ReorgEvent } from "../shared/events.js";
import { ChainMetric } from "../shared/metricNames.js";
import { proposalItemKey } from "../shared/tables.js";
import { type ChainSample, chainSample, spanSample } from "./lifecycleMetrics.js";
import type { LifecycleState, StepObservation } from "./lifecycleObservations.js";
import {
  type CreateObservedLifecycleParameters,
  createObservedLifecycle,
  type LifecycleKind,
} from "./observedLifecycle.js";

/**
 * Lifecycle state of Shasta proposals, beside the Pacaya batches' (lifecycleStore.ts), in the same
 * state table: item `proposal#<id>`. A proposal is proposed, then finalized by the first Proved that
 * covers it as new (first_new_proposal_id ≤ id ≤ last_proposal_id): proving finalizes at once in
 * Shasta (Inbox.prove @ taiko-mono b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b), so there is no separate
 * verification step. The genesis proposal 0 (activate()) is finalized by activation: not tracked.
 *
 * Reorg-correct by the same machinery as the Pacaya lifecycle (observedLifecycle.ts): each Proposed and
 * each Proved covering a proposal as new is kept on the item as an observation keyed by its L1 block, and
 * `proposedAt` / `finalizedAt` are derived from the observations in blocks that are canonical now. An L1
 * reorg that orphans the block of a Proved puts its proposals back among the unfinalized (the
 * "proposal not finalized" alarm's input); one that orphans the block of a Proposed takes the proposal
 * out (nothing is proposed on the canonical chain); a restore or a re-inclusion in another block applies
 * it again, once. Its metrics follow: net of their retractions they are what the canonical chain gives.
 *
 * Unfinalized proposals sit in the Pacaya `unproven` sparse index under their own partition value
 * (`proposal`), sorted by proposedAt, so "oldest unfinalized proposal" needs no new index; the item
 * key (`proposal#<id>`) is projected, the other attributes are not (the index projects Pacaya's).
 */

export type ShastaLifecycleStep = "proposedAt" | "finalizedAt";

export interface ShastaLifecycleUpdate {
  readonly proposalId: number;
  readonly step: ShastaLifecycleStep;
  /** L1 timestamp (epoch s) of the block the Proposed / Proved was seen in. */
  readonly at: number;
  /** The L1 block the step was observed in: a reorg that orphans it retracts the step. */
  readonly block: { readonly hash: string; readonly number: number };
}

/** The partition value of unfinalized Shasta proposals in UNPROVEN_INDEX. */
export const UNFINALIZED_PROPOSAL = "proposal";

/** The lifecycle steps an event records: a Proposed one, a Proved one per newly finalized proposal. */
export function shastaLifecycleUpdatesOf(event: PipelineEvent): ShastaLifecycleUpdate[] {
  if (event.type !== "shasta_proposed" && event.type !== "shasta_proved") return [];
  const base = {
    at: event.l1.timestamp,
    block: { hash: event.l1.blockHash, number: event.l1.blockNumber },
  };
  if (event.type === "shasta_proposed")
    return event.proposalId === 0 ? [] : [{ ...base, proposalId: event.proposalId, step: "proposedAt" }];
  const out: ShastaLifecycleUpdate[] = [];
  for (let id = Math.max(1, event.firstNewProposalId); id <= event.lastProposalId; id++) {
    out.push({ ...base, proposalId: id, step: "finalizedAt" });
  }
  return out;
}

export interface ShastaLifecycleStore {
  /** Records the steps, per proposal item in parallel. Safe to repeat. Throws a RetryableError if any failed. */
  record(updates: readonly ShastaLifecycleUpdate[]): Promise<void>;
  /** Apply the L1 marks of reorg events and recompute every proposal with steps in those blocks. Safe to repeat. */
  reorg(events: readonly ReorgEvent[]): Promise<void>;
}

/** `concurrency`: proposal items written at once (an aggregated proof can finalize many). @default 16 */
export type CreateShastaLifecycleStoreParameters = CreateObservedLifecycleParameters;

export function createShastaLifecycleStore(
  parameters: CreateShastaLifecycleStoreParameters,
): ShastaLifecycleStore {
  const lifecycle = createObservedLifecycle(PROPOSAL_KIND, {
    ...parameters,
    concurrency: parameters.concurrency ?? 16,
  });

  async function record(updates: readonly ShastaLifecycleUpdate[]): Promise<void> {
    const byProposal = new Map<number, StepObservation[]>();
    for (const u of updates) {
      const o = { step: u.step, blockHash: u.block.hash, blockNumber: u.block.number, timestamp: u.at };
      byProposal.set(u.proposalId, [...(byProposal.get(u.proposalId) ?? []), o]);
    }
    await lifecycle.observe(byProposal);
  }

  return { record, reorg: lifecycle.reorg };
}

type ProposalAttribute = ShastaLifecycleStep;

/** The chain metrics a proposal's derived state gives: proposed (a count), time to finality. */
export function proposalSamplesOf(state: LifecycleState<ProposalAttribute>): ChainSample[] {
  if (state.proposedAt === undefined) return [];
  return [
    chainSample(ChainMetric.ShastaProposalsProposed, 1),
    ...spanSample(ChainMetric.ShastaTimeToFinalitySeconds, state.proposedAt, state.finalizedAt),
  ];
}

/** Shasta proposals as a lifecycle kind: waiting for finality while proposed and not finalized. */
const PROPOSAL_KIND: LifecycleKind<ProposalAttribute> = {
  what: "Shasta lifecycle",
  itemKey: proposalItemKey,
  idAttribute: "proposalId",
  blockIndexAttribute: "proposalIds",
  derived: { proposedAt: ["proposedAt"], finalizedAt: ["finalizedAt"] },
  attributes: ["proposedAt", "finalizedAt"],
  pendingIn: (s) =>
    s.proposedAt !== undefined && s.finalizedAt === undefined ? UNFINALIZED_PROPOSAL : undefined,
  samplesOf: proposalSamplesOf,
};
