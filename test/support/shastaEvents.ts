import type {
  Bond,
  ShastaBondEvent,
  ShastaForcedInclusionSavedEvent,
  ShastaForcedInclusionsVoidedEvent,
  ShastaInboxActivatedEvent,
  ShastaL1Location,
  ShastaProposalBlockEvent,
  ShastaProposedEvent,
  ShastaProvedEvent,
  ShastaStateRecoveredEvent,
} from "../../lambdas/shared/shastaEvents.js";
import { address, hash } from "./events.js";

/**
 * Shasta event factories for sink and metric tests. L1 locations come from helpers.ts `at(n)`
 * (block hash `l1:n`, time 1_700_000_000 + 12n), so an L1 reorg of the factory blocks orphans them.
 */

/** A proposal with `sources` sources, the first `forced` of them forced inclusions (as Inbox orders them). */
export function shastaProposed(
  proposalId: number,
  l1: ShastaL1Location,
  options: { sources?: number; forced?: number; proposer?: string } = {},
): ShastaProposedEvent {
  const n = options.sources ?? 1;
  const forced = options.forced ?? 0;
  return {
    v: 1,
    type: "shasta_proposed",
    l1,
    proposalId,
    proposer: options.proposer ?? address(0xb0),
    parentProposalHash: hash(`proposal:${proposalId - 1}`),
    endOfSubmissionWindowTimestamp: l1.timestamp + 12,
    basefeeSharingPctg: 75,
    sources: Array.from({ length: n }, (_, i) => ({
      isForcedInclusion: i < forced,
      blobSlice: {
        blobHashes: [hash(`blob:${proposalId}:${i}:a`), hash(`blob:${proposalId}:${i}:b`)],
        offset: i * 100,
        timestamp: l1.timestamp,
      },
    })),
  };
}

export function shastaProved(
  range: { first: number; firstNew: number; last: number },
  l1: ShastaL1Location,
  prover = address(0xd0),
): ShastaProvedEvent {
  return {
    v: 1,
    type: "shasta_proved",
    l1,
    firstProposalId: range.first,
    firstNewProposalId: range.firstNew,
    lastProposalId: range.last,
    actualProver: prover,
    checkpointSynced: null,
  };
}

export function shastaSaved(
  l1: ShastaL1Location,
  ordinalInTx = 0,
  feeInGwei = "1000000",
): ShastaForcedInclusionSavedEvent {
  return {
    v: 1,
    type: "shasta_forced_inclusion_saved",
    l1,
    ordinalInTx,
    feeInGwei,
    blobSlice: {
      blobHashes: [hash(`fi:${l1.blockNumber}:${ordinalInTx}`)],
      offset: 0,
      timestamp: l1.timestamp,
    },
  };
}

export function shastaBond(bond: Bond, l1: ShastaL1Location, ordinalInTx = 0): ShastaBondEvent {
  return { v: 1, type: "shasta_bond_event", l1, ordinalInTx, bond };
}

export function shastaStateRecovered(l1: ShastaL1Location): ShastaStateRecoveredEvent {
  return {
    v: 1,
    type: "shasta_state_recovered",
    l1,
    nextProposalId: 9,
    lastFinalizedProposalId: 5,
    lastFinalizedBlockHash: hash("l2:final5"),
  };
}

export function shastaVoided(
  l1: ShastaL1Location,
  oldHead = 3,
  newHead = 7,
): ShastaForcedInclusionsVoidedEvent {
  return { v: 1, type: "shasta_forced_inclusions_voided", l1, oldHead, newHead };
}

export function shastaActivated(l1: ShastaL1Location): ShastaInboxActivatedEvent {
  return { v: 1, type: "shasta_inbox_activated", l1, lastPacayaBlockHash: hash("l2:lastpacaya") };
}

/** L2 block `n` (factory hash `l2:n`, as helpers.ts l2Header) naming `proposalId`. */
export function shastaProposalBlock(
  n: number,
  proposalId: number,
  over: Partial<ShastaProposalBlockEvent> = {},
): ShastaProposalBlockEvent {
  return {
    v: 1,
    type: "shasta_proposal_block",
    number: n,
    hash: hash(`l2:${n}`),
    timestamp: 1_700_000_000 + n * 2,
    proposalId,
    basefeeSharingPctg: 75,
    anchor: {
      txHash: hash(`anchor:${n}`),
      l1BlockNumber: Math.max(0, n - 1),
      l1BlockHash: hash(`l1:${n - 1}`),
    },
    ...over,
  };
}

export const settledBond = (livenessBondGwei = "1000", slashedGwei = "500"): Bond => ({
  kind: "liveness_bond_settled",
  payer: address(0xe4),
  payee: address(0xe5),
  livenessBondGwei,
  creditedGwei: (BigInt(livenessBondGwei) - BigInt(slashedGwei)).toString(),
  slashedGwei,
});

/** Every bond kind, once. */
export const everyBond = (): Bond[] => [
  { kind: "deposited", depositor: address(0xe1), recipient: address(0xe2), amountGwei: "5000000000" },
  { kind: "withdrawn", account: address(0xe2), amountGwei: "18446744073709551615" },
  { kind: "withdrawal_requested", account: address(0xe3), withdrawableAt: 1_700_100_000 },
  { kind: "withdrawal_cancelled", account: address(0xe3) },
  settledBond(),
];
