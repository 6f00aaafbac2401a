import { decodeEventLog, encodeEventTopics, type Hex } from "viem";
import type { ChainLog } from "../chainLog.js";
import { ShastaLogDecodeError } from "./ShastaDecodeError.js";
import { type ShastaInboxEventName, shastaInboxAbi, shastaProvedWithCheckpointAbi } from "./shastaAbi.js";

/** The `eth_getLogs` entry the decoder reads: the ingestor's ChainLog. */
export type ShastaLog = ChainLog;

/** Where on L1 a record was observed; the block timestamp is joined later from the header. */
export interface ShastaLogLocation {
  readonly address: Hex;
  readonly blockNumber: number;
  readonly blockHash: Hex;
  readonly txHash: Hex;
  readonly logIndex: number;
}

export interface BlobSlice {
  readonly blobHashes: readonly Hex[];
  /** Byte offset of the content inside the concatenated blobs (uint24). */
  readonly offset: number;
  /** L1 timestamp at which the slice was created (uint48). */
  readonly timestamp: number;
}

export interface DerivationSource {
  readonly isForcedInclusion: boolean;
  readonly blobSlice: BlobSlice;
}

export interface ShastaProposed {
  readonly type: "shasta_proposed";
  readonly log: ShastaLogLocation;
  readonly proposalId: number;
  readonly proposer: Hex;
  readonly parentProposalHash: Hex;
  readonly endOfSubmissionWindowTimestamp: number;
  readonly basefeeSharingPctg: number;
  /** A processed forced inclusion is a source flagged isForcedInclusion: Shasta has no ForcedInclusionProcessed. */
  readonly sources: readonly DerivationSource[];
}

export interface ShastaProved {
  readonly type: "shasta_proved";
  readonly log: ShastaLogLocation;
  readonly firstProposalId: number;
  /** Proposals firstProposalId … firstNewProposalId − 1 were already finalized; the rest are finalized now. */
  readonly firstNewProposalId: number;
  readonly lastProposalId: number;
  readonly actualProver: Hex;
  /** Only the Dec 2025 – Jan 2026 layout carried it; null for the current one. */
  readonly checkpointSynced: boolean | null;
}

export interface ShastaStateRecovered {
  readonly type: "shasta_state_recovered";
  readonly log: ShastaLogLocation;
  readonly nextProposalId: number;
  readonly lastFinalizedProposalId: number;
  readonly lastFinalizedBlockHash: Hex;
}

export interface ShastaForcedInclusionsVoided {
  readonly type: "shasta_forced_inclusions_voided";
  readonly log: ShastaLogLocation;
  readonly oldHead: number;
  readonly newHead: number;
}

export interface ShastaInboxActivated {
  readonly type: "shasta_inbox_activated";
  readonly log: ShastaLogLocation;
  readonly lastPacayaBlockHash: Hex;
}

export interface ShastaForcedInclusionSaved {
  readonly type: "shasta_forced_inclusion_saved";
  readonly log: ShastaLogLocation;
  /** uint64 gwei as a decimal string, like every amount on the queue. */
  readonly feeInGwei: string;
  readonly blobSlice: BlobSlice;
}

export interface ShastaBondDeposited {
  readonly type: "shasta_bond_deposited";
  readonly log: ShastaLogLocation;
  readonly depositor: Hex;
  readonly recipient: Hex;
  readonly amountGwei: string;
}

export interface ShastaBondWithdrawn {
  readonly type: "shasta_bond_withdrawn";
  readonly log: ShastaLogLocation;
  readonly account: Hex;
  readonly amountGwei: string;
}

export interface ShastaWithdrawalRequested {
  readonly type: "shasta_withdrawal_requested";
  readonly log: ShastaLogLocation;
  readonly account: Hex;
  readonly withdrawableAt: number;
}

export interface ShastaWithdrawalCancelled {
  readonly type: "shasta_withdrawal_cancelled";
  readonly log: ShastaLogLocation;
  readonly account: Hex;
}

export interface ShastaLivenessBondSettled {
  readonly type: "shasta_liveness_bond_settled";
  readonly log: ShastaLogLocation;
  readonly payer: Hex;
  readonly payee: Hex;
  readonly livenessBondGwei: string;
  readonly creditedGwei: string;
  readonly slashedGwei: string;
}

export type ShastaBondRecord =
  | ShastaBondDeposited
  | ShastaBondWithdrawn
  | ShastaWithdrawalRequested
  | ShastaWithdrawalCancelled
  | ShastaLivenessBondSettled;

export type ShastaRecord =
  | ShastaProposed
  | ShastaProved
  | ShastaStateRecovered
  | ShastaForcedInclusionsVoided
  | ShastaInboxActivated
  | ShastaForcedInclusionSaved
  | ShastaBondRecord;

export type ShastaRecordType = ShastaRecord["type"];

const INBOX_EVENTS: readonly ShastaInboxEventName[] = [
  "Proposed",
  "Proved",
  "StateRecovered",
  "ForcedInclusionsVoided",
  "InboxActivated",
  "ForcedInclusionSaved",
  "BondDeposited",
  "BondWithdrawn",
  "WithdrawalRequested",
  "WithdrawalCancelled",
  "LivenessBondSettled",
];

const topicOf = (eventName: ShastaInboxEventName): Hex =>
  encodeEventTopics({ abi: shastaInboxAbi, eventName } as never)[0] as Hex;

/** topic0 of the `Proved` that carried `bool checkpointSynced`. */
export const PROVED_WITH_CHECKPOINT_TOPIC: Hex = encodeEventTopics({
  abi: shastaProvedWithCheckpointAbi,
  eventName: "Proved",
})[0] as Hex;

/** topic0 of every Shasta L1 event (both Proved layouts): the eth_getLogs filter for the inbox proxy. */
export const shastaEventTopics: readonly Hex[] = [...INBOX_EVENTS.map(topicOf), PROVED_WITH_CHECKPOINT_TOPIC];

/**
 * Decode one log of a Shasta inbox into its typed record. Pure; throws ShastaLogDecodeError
 * (permanent) naming the topic, tx hash, log index and the failure when the log is not a Shasta
 * event or its bytes do not match the event's layout.
 */
export function decodeShastaLog(log: ShastaLog): ShastaRecord {
  const topic0 = log.topics[0];
  const fail = (reason: string, cause?: unknown): ShastaLogDecodeError =>
    new ShastaLogDecodeError(topic0, log.transactionHash, log.logIndex, reason, {
      cause,
      address: log.address,
      blockNumber: log.blockNumber,
    });
  if (topic0 === undefined) throw fail("the log has no topics (anonymous events are not Shasta events)");
  const where: ShastaLogLocation = {
    address: lower(log.address),
    blockNumber: log.blockNumber,
    blockHash: lower(log.blockHash),
    txHash: lower(log.transactionHash),
    logIndex: log.logIndex,
  };
  try {
    if (topic0.toLowerCase() === PROVED_WITH_CHECKPOINT_TOPIC) return provedWithCheckpoint(log, where);
    return fromInboxAbi(log, where);
  } catch (error) {
    if (error instanceof ShastaLogDecodeError) throw error;
    throw fail(
      error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error),
      error,
    );
  }
}

export interface DecodeShastaLogsReturnType {
  readonly records: ShastaRecord[];
  /** One bad log must not stop the chain: each failure is reported with its context. */
  readonly failures: ShastaLogDecodeError[];
}

/** Decode many logs in order, collecting failures instead of stopping at the first. */
export function decodeShastaLogs(logs: readonly ShastaLog[]): DecodeShastaLogsReturnType {
  const records: ShastaRecord[] = [];
  const failures: ShastaLogDecodeError[] = [];
  for (const log of logs) {
    try {
      records.push(decodeShastaLog(log));
    } catch (error) {
      if (!(error instanceof ShastaLogDecodeError)) throw error;
      failures.push(error);
    }
  }
  return { records, failures };
}

function provedWithCheckpoint(log: ShastaLog, where: ShastaLogLocation): ShastaProved {
  const { args } = decodeEventLog({
    abi: shastaProvedWithCheckpointAbi,
    data: log.data,
    topics: log.topics as [Hex, ...Hex[]],
    strict: true,
  });
  return proved(where, args, args.checkpointSynced);
}

function fromInboxAbi(log: ShastaLog, where: ShastaLogLocation): ShastaRecord {
  const decoded = decodeEventLog({
    abi: shastaInboxAbi,
    data: log.data,
    topics: log.topics as [Hex, ...Hex[]],
    strict: true,
  });
  switch (decoded.eventName) {
    case "Proposed": {
      const a = decoded.args;
      return {
        type: "shasta_proposed",
        log: where,
        proposalId: a.id,
        proposer: lower(a.proposer),
        parentProposalHash: lower(a.parentProposalHash),
        endOfSubmissionWindowTimestamp: a.endOfSubmissionWindowTimestamp,
        basefeeSharingPctg: a.basefeeSharingPctg,
        sources: a.sources.map((s) => ({
          isForcedInclusion: s.isForcedInclusion,
          blobSlice: slice(s.blobSlice),
        })),
      };
    }
    case "Proved":
      return proved(where, decoded.args, null);
    case "StateRecovered":
      return {
        type: "shasta_state_recovered",
        log: where,
        nextProposalId: decoded.args.nextProposalId,
        lastFinalizedProposalId: decoded.args.lastFinalizedProposalId,
        lastFinalizedBlockHash: lower(decoded.args.lastFinalizedBlockHash),
      };
    case "ForcedInclusionsVoided":
      return {
        type: "shasta_forced_inclusions_voided",
        log: where,
        oldHead: decoded.args.oldHead,
        newHead: decoded.args.newHead,
      };
    case "InboxActivated":
      return {
        type: "shasta_inbox_activated",
        log: where,
        lastPacayaBlockHash: lower(decoded.args.lastPacayaBlockHash),
      };
    case "ForcedInclusionSaved":
      return {
        type: "shasta_forced_inclusion_saved",
        log: where,
        feeInGwei: decoded.args.forcedInclusion.feeInGwei.toString(),
        blobSlice: slice(decoded.args.forcedInclusion.blobSlice),
      };
    case "BondDeposited":
      return {
        type: "shasta_bond_deposited",
        log: where,
        depositor: lower(decoded.args.depositor),
        recipient: lower(decoded.args.recipient),
        amountGwei: decoded.args.amount.toString(),
      };
    case "BondWithdrawn":
      return {
        type: "shasta_bond_withdrawn",
        log: where,
        account: lower(decoded.args.account),
        amountGwei: decoded.args.amount.toString(),
      };
    case "WithdrawalRequested":
      return {
        type: "shasta_withdrawal_requested",
        log: where,
        account: lower(decoded.args.account),
        withdrawableAt: decoded.args.withdrawableAt,
      };
    case "WithdrawalCancelled":
      return { type: "shasta_withdrawal_cancelled", log: where, account: lower(decoded.args.account) };
    case "LivenessBondSettled":
      return {
        type: "shasta_liveness_bond_settled",
        log: where,
        payer: lower(decoded.args.payer),
        payee: lower(decoded.args.payee),
        livenessBondGwei: decoded.args.livenessBond.toString(),
        creditedGwei: decoded.args.credited.toString(),
        slashedGwei: decoded.args.slashed.toString(),
      };
  }
}

function proved(
  where: ShastaLogLocation,
  a: { firstProposalId: number; firstNewProposalId: number; lastProposalId: number; actualProver: Hex },
  checkpointSynced: boolean | null,
): ShastaProved {
  // Inbox.prove emits firstNewProposalId = firstProposalId + offset with offset < transitions.length,
  // so first ≤ firstNew ≤ last always holds; a log breaking it is not what the inbox wrote.
  if (!(a.firstProposalId <= a.firstNewProposalId && a.firstNewProposalId <= a.lastProposalId)) {
    throw new Error(
      `Proved range out of order: first ${a.firstProposalId}, first new ${a.firstNewProposalId}, last ${a.lastProposalId}`,
    );
  }
  return {
    type: "shasta_proved",
    log: where,
    firstProposalId: a.firstProposalId,
    firstNewProposalId: a.firstNewProposalId,
    lastProposalId: a.lastProposalId,
    actualProver: lower(a.actualProver),
    checkpointSynced,
  };
}

function slice(s: { blobHashes: readonly Hex[]; offset: number; timestamp: number }): BlobSlice {
  return { blobHashes: s.blobHashes.map(lower), offset: s.offset, timestamp: s.timestamp };
}

function lower(value: string): Hex {
  return value.toLowerCase() as Hex;
}
