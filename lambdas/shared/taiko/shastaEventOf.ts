import { PipelineEventSchema } from "../events.js";
import type { Bond, ShastaL1Event, ShastaL1Location, ShastaProposalBlockEvent } from "../shastaEvents.js";
import type { BlobSlice, ShastaBondRecord, ShastaRecord } from "./decodeShasta.js";
import type { ShastaL2BlockLink } from "./decodeShastaL2Block.js";
import { txOrdinals } from "./shastaKeys.js";

/** What the decoded log does not carry: its block's time, and its place among its tx's ids-less facts. */
export interface ShastaEventContext {
  /** Timestamp of the L1 block holding the log (from the header read for the same range). */
  readonly blockTimestamp: number;
  /** From shastaKeys.ts txOrdinals over the same eth_getLogs answer; used by saves and bond events only. */
  readonly ordinalInTx: number;
}

/**
 * A decoded Shasta L1 record as the queue event the processor validates (shastaEvents.ts). Pure: no
 * check here beyond the record's shape; the caller runs PipelineEventSchema on the result, as
 * decodeInbox does for Pacaya, so a value the schema refuses is skipped with its reason.
 */
export function shastaEventOf(record: ShastaRecord, context: ShastaEventContext): ShastaL1Event {
  const { log } = record;
  const l1: ShastaL1Location = {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    timestamp: context.blockTimestamp,
    txHash: log.txHash,
    logIndex: log.logIndex,
  };
  const v = 1 as const;
  switch (record.type) {
    case "shasta_proposed":
      return {
        v,
        type: "shasta_proposed",
        l1,
        proposalId: record.proposalId,
        proposer: record.proposer,
        parentProposalHash: record.parentProposalHash,
        endOfSubmissionWindowTimestamp: record.endOfSubmissionWindowTimestamp,
        basefeeSharingPctg: record.basefeeSharingPctg,
        sources: record.sources.map((s) => ({
          isForcedInclusion: s.isForcedInclusion,
          blobSlice: slice(s.blobSlice),
        })),
      };
    case "shasta_proved":
      return {
        v,
        type: "shasta_proved",
        l1,
        firstProposalId: record.firstProposalId,
        firstNewProposalId: record.firstNewProposalId,
        lastProposalId: record.lastProposalId,
        actualProver: record.actualProver,
        checkpointSynced: record.checkpointSynced,
      };
    case "shasta_state_recovered":
      return {
        v,
        type: "shasta_state_recovered",
        l1,
        nextProposalId: record.nextProposalId,
        lastFinalizedProposalId: record.lastFinalizedProposalId,
        lastFinalizedBlockHash: record.lastFinalizedBlockHash,
      };
    case "shasta_forced_inclusions_voided":
      return {
        v,
        type: "shasta_forced_inclusions_voided",
        l1,
        oldHead: record.oldHead,
        newHead: record.newHead,
      };
    case "shasta_inbox_activated":
      return { v, type: "shasta_inbox_activated", l1, lastPacayaBlockHash: record.lastPacayaBlockHash };
    case "shasta_forced_inclusion_saved":
      return {
        v,
        type: "shasta_forced_inclusion_saved",
        l1,
        ordinalInTx: context.ordinalInTx,
        feeInGwei: record.feeInGwei,
        blobSlice: slice(record.blobSlice),
      };
    default:
      return { v, type: "shasta_bond_event", l1, ordinalInTx: context.ordinalInTx, bond: bondOf(record) };
  }
}

function bondOf(record: ShastaBondRecord): Bond {
  switch (record.type) {
    case "shasta_bond_deposited":
      return {
        kind: "deposited",
        depositor: record.depositor,
        recipient: record.recipient,
        amountGwei: record.amountGwei,
      };
    case "shasta_bond_withdrawn":
      return { kind: "withdrawn", account: record.account, amountGwei: record.amountGwei };
    case "shasta_withdrawal_requested":
      return { kind: "withdrawal_requested", account: record.account, withdrawableAt: record.withdrawableAt };
    case "shasta_withdrawal_cancelled":
      return { kind: "withdrawal_cancelled", account: record.account };
    case "shasta_liveness_bond_settled":
      return {
        kind: "liveness_bond_settled",
        payer: record.payer,
        payee: record.payee,
        livenessBondGwei: record.livenessBondGwei,
        creditedGwei: record.creditedGwei,
        slashedGwei: record.slashedGwei,
      };
  }
}

/** An L2 block's proposal link (decodeShastaL2Block) as the queue event; the header's timestamp is the caller's. */
export function proposalBlockEventOf(
  link: ShastaL2BlockLink,
  block: { readonly timestamp: number },
): ShastaProposalBlockEvent {
  return {
    v: 1,
    type: "shasta_proposal_block",
    number: link.blockNumber,
    hash: link.blockHash,
    timestamp: block.timestamp,
    proposalId: link.proposalId,
    basefeeSharingPctg: link.basefeeSharingPctg,
    anchor: {
      txHash: link.anchor.txHash,
      l1BlockNumber: link.anchor.l1BlockNumber,
      l1BlockHash: link.anchor.l1BlockHash,
    },
  };
}

function slice(s: BlobSlice) {
  return { blobHashes: [...s.blobHashes], offset: s.offset, timestamp: s.timestamp };
}

export interface ShastaEventsOfParameters {
  /** Every record decoded from one eth_getLogs answer, in log order (a tx's logs are never split). */
  readonly records: readonly ShastaRecord[];
  /** Timestamp of each L1 block the logs come from. */
  readonly blockTimestamps: ReadonlyMap<number, number>;
}

export interface ShastaEventsOfReturnType {
  readonly events: ShastaL1Event[];
  /** Records that do not make a valid event (no header read, a value the schema refuses), with the reason. */
  readonly skipped: { readonly record: ShastaRecord; readonly reason: string }[];
}

/** The queue events of one answer's records: ordinals numbered, timestamps joined, each validated. */
export function shastaEventsOf({
  records,
  blockTimestamps,
}: ShastaEventsOfParameters): ShastaEventsOfReturnType {
  const ordinals = txOrdinals(records);
  const events: ShastaL1Event[] = [];
  const skipped: { record: ShastaRecord; reason: string }[] = [];
  records.forEach((record, i) => {
    const blockTimestamp = blockTimestamps.get(record.log.blockNumber);
    if (blockTimestamp === undefined) {
      skipped.push({ record, reason: `no header read for block ${record.log.blockNumber}` });
      return;
    }
    const event = shastaEventOf(record, { blockTimestamp, ordinalInTx: ordinals[i] as number });
    const checked = PipelineEventSchema.safeParse(event);
    if (checked.success) events.push(event);
    else skipped.push({ record, reason: `decoded event is invalid: ${checked.error.message}` });
  });
  return { events, skipped };
}
