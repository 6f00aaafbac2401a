import type { Hex } from "viem";
import type { ShastaRecord, ShastaRecordType } from "./decodeShasta.js";
import type { ShastaL2BlockLink } from "./decodeShastaL2Block.js";

/**
 * Event keys for Shasta facts, in the seed's style (`{batch_id}:{l1_tx_hash}-{event_type}`): the
 * key names the fact, not where it was seen, so an L1 reorg that re-includes the same transaction
 * in another block keeps the key (the observation id adds the block). Nothing here uses a block
 * number, block hash, log index or block timestamp for that reason.
 */

/** The suffix of each key: the record type without its `shasta_` prefix (the table's name). */
export const keySuffix = (type: ShastaRecordType): string => type.replace(/^shasta_/, "");

/** `{proposal_id}:{l1_tx_hash}-proposed`. Re-activation (activate() within its 2-hour window) re-emits id 0 from another tx: another key. */
export const proposedKey = (proposalId: number, txHash: Hex): string => `${proposalId}:${txHash}-proposed`;

/** `{proposal_id}:{l1_tx_hash}:{source_index}-proposal_source`: one row per DerivationSource. */
export const proposalSourceKey = (proposalId: number, txHash: Hex, sourceIndex: number): string =>
  `${proposalId}:${txHash}:${sourceIndex}-proposal_source`;

/** `{last_proposal_id}:{l1_tx_hash}-proved`: two proofs in one tx cannot end at the same id (the second must advance). */
export const provedKey = (lastProposalId: number, txHash: Hex): string =>
  `${lastProposalId}:${txHash}-proved`;

/** `{last_finalized_proposal_id}:{l1_tx_hash}-state_recovered`. */
export const stateRecoveredKey = (lastFinalizedProposalId: number, txHash: Hex): string =>
  `${lastFinalizedProposalId}:${txHash}-state_recovered`;

/** `{old_head}-{new_head}:{l1_tx_hash}-forced_inclusions_voided`. */
export const forcedInclusionsVoidedKey = (oldHead: number, newHead: number, txHash: Hex): string =>
  `${oldHead}-${newHead}:${txHash}-forced_inclusions_voided`;

/** `{last_pacaya_block_hash}:{l1_tx_hash}-inbox_activated`. */
export const inboxActivatedKey = (lastPacayaBlockHash: Hex, txHash: Hex): string =>
  `${lastPacayaBlockHash}:${txHash}-inbox_activated`;

/**
 * `{l1_tx_hash}:{ordinal}-forced_inclusion_saved`. The event carries no queue index, and its blob
 * slice's timestamp is the block's (it changes when a reorg moves the tx), so the fact is "the
 * n-th save in this transaction": two saves of the same blob in one tx are two facts.
 */
export const forcedInclusionSavedKey = (txHash: Hex, ordinalInTx: number): string =>
  `${txHash}:${ordinalInTx}-forced_inclusion_saved`;

/** `{account}:{l1_tx_hash}:{ordinal}-{bond_event}`: bond events carry no id either (two equal deposits in one tx are two facts). */
export const bondEventKey = (
  type: Extract<
    ShastaRecordType,
    | "shasta_bond_deposited"
    | "shasta_bond_withdrawn"
    | "shasta_withdrawal_requested"
    | "shasta_withdrawal_cancelled"
    | "shasta_liveness_bond_settled"
  >,
  account: Hex,
  txHash: Hex,
  ordinalInTx: number,
): string => `${account}:${txHash}:${ordinalInTx}-${keySuffix(type)}`;

/** `{proposal_id}:{l2_block_number}:{l2_block_hash}-proposal_block`: the L2 side's link, reorg-aware through the L2 hash. */
export const proposalBlockKey = (
  link: Pick<ShastaL2BlockLink, "proposalId" | "blockNumber" | "blockHash">,
): string => `${link.proposalId}:${link.blockNumber}:${link.blockHash}-proposal_block`;

/**
 * The ordinal of each record among the records of the same type in the same transaction, in log
 * order: the identity of facts that carry no id of their own. Pass every record decoded from one
 * eth_getLogs answer (a transaction's logs are never split across blocks).
 */
export function txOrdinals(records: readonly ShastaRecord[]): number[] {
  const seen = new Map<string, number>();
  return records.map((r) => {
    const k = `${r.log.txHash}|${r.type}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return n;
  });
}
