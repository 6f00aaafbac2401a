import type { Hex } from "viem";
import type { ShastaEvent } from "./shastaEvents.js";
import {
  bondEventKey,
  forcedInclusionSavedKey,
  forcedInclusionsVoidedKey,
  inboxActivatedKey,
  proposalBlockKey,
  proposedKey,
  provedKey,
  stateRecoveredKey,
} from "./taiko/shastaKeys.js";

/** The shastaKeys.ts record type of each bond kind: the key's suffix (`-bond_deposited`, …). */
export const BOND_RECORD_TYPE = {
  deposited: "shasta_bond_deposited",
  withdrawn: "shasta_bond_withdrawn",
  withdrawal_requested: "shasta_withdrawal_requested",
  withdrawal_cancelled: "shasta_withdrawal_cancelled",
  liveness_bond_settled: "shasta_liveness_bond_settled",
} as const;

/** The account a bond event is about: the key's first part (shastaKeys.ts bondEventKey). */
export function bondAccount(bond: ShastaEvent & { type: "shasta_bond_event" }): Hex {
  const b = bond.bond;
  switch (b.kind) {
    case "deposited":
      return b.recipient as Hex;
    case "liveness_bond_settled":
      return b.payer as Hex;
    default:
      return b.account as Hex;
  }
}

/**
 * The event key of a Shasta queue event, from the event alone, with shastaKeys.ts's formats
 * (`{proposal_id}:{l1_tx_hash}-proposed`, …). The one home of the fact-to-key choice: a decoded
 * record is keyed through its event (shastaEventOf.ts), so the ingestor and the processor agree.
 */
export function shastaEventKeyOf(event: ShastaEvent): string {
  if (event.type === "shasta_proposal_block") {
    return proposalBlockKey({
      proposalId: event.proposalId,
      blockNumber: event.number,
      blockHash: event.hash as Hex,
    });
  }
  const tx = event.l1.txHash as Hex;
  switch (event.type) {
    case "shasta_proposed":
      return proposedKey(event.proposalId, tx);
    case "shasta_proved":
      return provedKey(event.lastProposalId, tx);
    case "shasta_state_recovered":
      return stateRecoveredKey(event.lastFinalizedProposalId, tx);
    case "shasta_forced_inclusions_voided":
      return forcedInclusionsVoidedKey(event.oldHead, event.newHead, tx);
    case "shasta_inbox_activated":
      return inboxActivatedKey(event.lastPacayaBlockHash as Hex, tx);
    case "shasta_forced_inclusion_saved":
      return forcedInclusionSavedKey(tx, event.ordinalInTx);
    case "shasta_bond_event":
      return bondEventKey(BOND_RECORD_TYPE[event.bond.kind], bondAccount(event), tx, event.ordinalInTx);
  }
}

/** The chain-position number that spreads Shasta events over message groups (keys.ts partitionNumber). */
export function shastaPartitionNumber(event: ShastaEvent): number {
  switch (event.type) {
    case "shasta_proposed":
      return event.proposalId;
    case "shasta_proved":
      return event.lastProposalId;
    case "shasta_state_recovered":
      return event.lastFinalizedProposalId;
    case "shasta_forced_inclusions_voided":
      return event.newHead;
    case "shasta_proposal_block":
      return event.number;
    default:
      return event.l1.blockNumber;
  }
}
