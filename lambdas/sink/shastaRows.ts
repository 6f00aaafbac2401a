import { bondAccount } from "../shared/shastaEventKeys.js";
import type { ShastaEvent, ShastaL1Location } from "../shared/shastaEvents.js";
import { proposalSourceKey } from "../shared/taiko/shastaKeys.js";
import type { CanonicalView } from "./canonicalViews.js";
import { l1Log as pacayaL1Log } from "./l1Log.js";
import type { Columns } from "./rows.js";
import type { SinkRecord } from "./Sink.js";

/**
 * Shasta events → rows, in the protocol's own words (IInbox, IForcedInclusionStore, IBondManager at
 * taikoxyz/taiko-mono @ b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b). rows.ts adds these tables to the
 * one list every adapter's schema, the Firehose routing and the Glue tables derive from. The value
 * conventions are rows.ts's: counts, ids and unix seconds are numbers, gwei amounts bigint, hex lowercase.
 */

/** Where the log was observed; every Shasta L1 table has these, `l1_block_ts` being the block's time. */
interface ShastaL1Columns {
  l1_block_number: number;
  l1_block_hash: string;
  l1_block_ts: number;
  l1_tx_hash: string;
  log_index: number;
  event_key: string;
  observation_id: string;
}

/** One row per IInbox.Proposed. */
export interface ProposalRow extends ShastaL1Columns {
  proposal_id: number;
  proposer: string;
  parent_proposal_hash: string;
  end_of_submission_window_ts: number;
  basefee_sharing_pctg: number;
  source_count: number;
  /** Sources flagged isForcedInclusion: the forced inclusions this proposal processed. */
  forced_inclusion_count: number;
  blob_count: number;
}

/** One row per DerivationSource of a Proposed, `source_index` its position in `sources`. */
export interface ProposalSourceRow extends ShastaL1Columns {
  proposal_id: number;
  source_index: number;
  /** 1 when the source is a forced inclusion (the Shasta "forced inclusion processed"), else 0. */
  is_forced_inclusion: number;
  /** The slice's blob hashes, comma-separated, in order. */
  blob_hashes: string;
  blob_count: number;
  blob_offset: number;
  blob_ts: number;
}

/** One row per IInbox.Proved: proposals first_new … last are finalized by it, first … first_new − 1 were already. */
export interface ProofRow extends ShastaL1Columns {
  first_proposal_id: number;
  first_new_proposal_id: number;
  last_proposal_id: number;
  actual_prover: string;
  /** 1 / 0 in the 2025-12 layout that carried it; null in the current one. */
  checkpoint_synced: number | null;
}

/** The L2 side's link: one row per L2 block, naming its proposal (header extraData). */
export interface ProposalBlockRow {
  proposal_id: number;
  l2_block_number: number;
  l2_block_hash: string;
  l2_block_ts: number;
  basefee_sharing_pctg: number;
  anchor_tx_hash: string;
  anchor_l1_block_number: number;
  anchor_l1_block_hash: string;
  event_key: string;
  observation_id: string;
}

/** One row per IBondManager event; columns a kind does not have are null. */
export interface BondEventRow extends ShastaL1Columns {
  /** deposited | withdrawn | withdrawal_requested | withdrawal_cancelled | liveness_bond_settled */
  kind: string;
  /** Whose bond: the recipient of a deposit, the payer of a settlement, else the event's account. */
  account: string;
  /** The depositor of a deposit, the payee of a settlement. */
  counterparty: string | null;
  /** The deposited or withdrawn amount, or a settlement's liveness bond. */
  amount_gwei: bigint | null;
  credited_gwei: bigint | null;
  slashed_gwei: bigint | null;
  withdrawable_at: number | null;
  ordinal_in_tx: number;
}

export interface StateRecoveredRow extends ShastaL1Columns {
  next_proposal_id: number;
  last_finalized_proposal_id: number;
  last_finalized_block_hash: string;
}

/** Queue entries old_head … new_head − 1 voided (init3, Unzen). */
export interface ForcedInclusionsVoidedRow extends ShastaL1Columns {
  old_head: number;
  new_head: number;
}

export interface InboxActivatedRow extends ShastaL1Columns {
  last_pacaya_block_hash: string;
}

export interface ForcedInclusionSavedRow extends ShastaL1Columns {
  fee_in_gwei: bigint;
  blob_hashes: string;
  blob_count: number;
  blob_offset: number;
  blob_ts: number;
  ordinal_in_tx: number;
}

export interface ShastaTableRowTypes {
  proposals: ProposalRow;
  proposal_sources: ProposalSourceRow;
  proofs: ProofRow;
  proposal_blocks: ProposalBlockRow;
  bond_events: BondEventRow;
  state_recovered: StateRecoveredRow;
  forced_inclusions_voided: ForcedInclusionsVoidedRow;
  inbox_activated: InboxActivatedRow;
  forced_inclusions_saved: ForcedInclusionSavedRow;
}
export type ShastaTableName = keyof ShastaTableRowTypes;
export type ShastaSinkRow = {
  [T in ShastaTableName]: { readonly table: T; readonly row: ShastaTableRowTypes[T] };
}[ShastaTableName];

const l1Columns = {
  l1_block_number: "int",
  l1_block_hash: "text",
  l1_block_ts: "int",
  l1_tx_hash: "text",
  log_index: "int",
  event_key: "text",
  observation_id: "text",
} as const;

const sliceColumns = { blob_hashes: "text", blob_count: "int", blob_offset: "int", blob_ts: "int" } as const;

export const SHASTA_TABLE_COLUMNS: { readonly [T in ShastaTableName]: Columns<ShastaTableRowTypes[T]> } = {
  proposals: {
    proposal_id: "int",
    ...l1Columns,
    proposer: "text",
    parent_proposal_hash: "text",
    end_of_submission_window_ts: "int",
    basefee_sharing_pctg: "int",
    source_count: "int",
    forced_inclusion_count: "int",
    blob_count: "int",
  },
  proposal_sources: {
    proposal_id: "int",
    source_index: "int",
    ...l1Columns,
    is_forced_inclusion: "int",
    ...sliceColumns,
  },
  proofs: {
    first_proposal_id: "int",
    first_new_proposal_id: "int",
    last_proposal_id: "int",
    ...l1Columns,
    actual_prover: "text",
    checkpoint_synced: "int",
  },
  proposal_blocks: {
    proposal_id: "int",
    l2_block_number: "int",
    l2_block_hash: "text",
    l2_block_ts: "int",
    basefee_sharing_pctg: "int",
    anchor_tx_hash: "text",
    anchor_l1_block_number: "int",
    anchor_l1_block_hash: "text",
    event_key: "text",
    observation_id: "text",
  },
  bond_events: {
    kind: "text",
    account: "text",
    ...l1Columns,
    counterparty: "text",
    amount_gwei: "bigint",
    credited_gwei: "bigint",
    slashed_gwei: "bigint",
    withdrawable_at: "int",
    ordinal_in_tx: "int",
  },
  state_recovered: {
    next_proposal_id: "int",
    last_finalized_proposal_id: "int",
    last_finalized_block_hash: "text",
    ...l1Columns,
  },
  forced_inclusions_voided: { old_head: "int", new_head: "int", ...l1Columns },
  inbox_activated: { last_pacaya_block_hash: "text", ...l1Columns },
  forced_inclusions_saved: { fee_in_gwei: "bigint", ...sliceColumns, ordinal_in_tx: "int", ...l1Columns },
};

/**
 * As rows.ts: rows of an L1 log are identified by the observation (a reorg-moved log is a new row,
 * hidden with its old block by the canonical view); sources by observation and position; an L2
 * block's link by the L2 block hash, like its header.
 */
export const SHASTA_PRIMARY_KEYS: {
  readonly [T in ShastaTableName]: readonly (keyof ShastaTableRowTypes[T] & string)[];
} = {
  proposals: ["observation_id"],
  proposal_sources: ["observation_id", "source_index"],
  proofs: ["observation_id"],
  proposal_blocks: ["l2_block_hash"],
  bond_events: ["observation_id"],
  state_recovered: ["observation_id"],
  forced_inclusions_voided: ["observation_id"],
  inbox_activated: ["observation_id"],
  forced_inclusions_saved: ["observation_id"],
};

/** Columns a row may leave null: a bond kind's missing fields, and the old Proved layout's flag. */
export const SHASTA_NULLABLE_COLUMNS: readonly string[] = [
  "checkpoint_synced",
  "counterparty",
  "amount_gwei",
  "credited_gwei",
  "slashed_gwei",
  "withdrawable_at",
];

export const SHASTA_TABLE_NAMES = Object.keys(SHASTA_TABLE_COLUMNS) as ShastaTableName[];

export const isShastaTable = (table: string): table is ShastaTableName =>
  (SHASTA_TABLE_NAMES as readonly string[]).includes(table);

/** Rows of an L1 log are canonical unless its L1 block is orphaned; an L2 block's link unless that L2 block is. */
export const SHASTA_CANONICAL_VIEWS: readonly CanonicalView[] = SHASTA_TABLE_NAMES.map((table) =>
  table === "proposal_blocks"
    ? { view: `canonical_${table}`, table, hashColumn: "l2_block_hash", chain: "l2" }
    : { view: `canonical_${table}`, table, hashColumn: "l1_block_hash", chain: "l1" },
);

/** The rows one Shasta record contributes: proposals also one row per source. */
export function shastaRowsOf(record: SinkRecord & { readonly event: ShastaEvent }): ShastaSinkRow[] {
  const { event, key: event_key, observationId: observation_id } = record;
  const ids = { event_key, observation_id };
  if (event.type === "shasta_proposal_block") {
    return [
      {
        table: "proposal_blocks",
        row: {
          proposal_id: event.proposalId,
          l2_block_number: event.number,
          l2_block_hash: event.hash,
          l2_block_ts: event.timestamp,
          basefee_sharing_pctg: event.basefeeSharingPctg,
          anchor_tx_hash: event.anchor.txHash,
          anchor_l1_block_number: event.anchor.l1BlockNumber,
          anchor_l1_block_hash: event.anchor.l1BlockHash,
          ...ids,
        },
      },
    ];
  }
  const l1 = { ...l1Log(event.l1), ...ids };
  switch (event.type) {
    case "shasta_proposed":
      return proposalRows(event, l1);
    case "shasta_proved":
      return [
        {
          table: "proofs",
          row: {
            first_proposal_id: event.firstProposalId,
            first_new_proposal_id: event.firstNewProposalId,
            last_proposal_id: event.lastProposalId,
            ...l1,
            actual_prover: event.actualProver,
            checkpoint_synced: event.checkpointSynced === null ? null : Number(event.checkpointSynced),
          },
        },
      ];
    case "shasta_bond_event":
      return [{ table: "bond_events", row: bondRow(event, l1) }];
    case "shasta_state_recovered":
      return [
        {
          table: "state_recovered",
          row: {
            next_proposal_id: event.nextProposalId,
            last_finalized_proposal_id: event.lastFinalizedProposalId,
            last_finalized_block_hash: event.lastFinalizedBlockHash,
            ...l1,
          },
        },
      ];
    case "shasta_forced_inclusions_voided":
      return [
        {
          table: "forced_inclusions_voided",
          row: { old_head: event.oldHead, new_head: event.newHead, ...l1 },
        },
      ];
    case "shasta_inbox_activated":
      return [
        { table: "inbox_activated", row: { last_pacaya_block_hash: event.lastPacayaBlockHash, ...l1 } },
      ];
    case "shasta_forced_inclusion_saved":
      return [
        {
          table: "forced_inclusions_saved",
          row: {
            fee_in_gwei: BigInt(event.feeInGwei),
            ...sliceRow(event.blobSlice),
            ordinal_in_tx: event.ordinalInTx,
            ...l1,
          },
        },
      ];
  }
}

type L1Row = ShastaL1Columns;
type Proposed = Extract<ShastaEvent, { type: "shasta_proposed" }>;
type BondEvent = Extract<ShastaEvent, { type: "shasta_bond_event" }>;

function proposalRows(event: Proposed, l1: L1Row): ShastaSinkRow[] {
  const proposal: ShastaSinkRow = {
    table: "proposals",
    row: {
      proposal_id: event.proposalId,
      ...l1,
      proposer: event.proposer,
      parent_proposal_hash: event.parentProposalHash,
      end_of_submission_window_ts: event.endOfSubmissionWindowTimestamp,
      basefee_sharing_pctg: event.basefeeSharingPctg,
      source_count: event.sources.length,
      forced_inclusion_count: event.sources.filter((s) => s.isForcedInclusion).length,
      blob_count: event.sources.reduce((n, s) => n + s.blobSlice.blobHashes.length, 0),
    },
  };
  const sources = event.sources.map(
    (s, source_index): ShastaSinkRow => ({
      table: "proposal_sources",
      row: {
        proposal_id: event.proposalId,
        source_index,
        ...l1,
        // Each source is its own fact (shastaKeys.ts proposalSourceKey): counted once per source, not per proposal.
        event_key: proposalSourceKey(event.proposalId, event.l1.txHash as `0x${string}`, source_index),
        is_forced_inclusion: s.isForcedInclusion ? 1 : 0,
        ...sliceRow(s.blobSlice),
      },
    }),
  );
  return [proposal, ...sources];
}

function bondRow(event: BondEvent, l1: L1Row): BondEventRow {
  const b = event.bond;
  const none = {
    counterparty: null,
    amount_gwei: null,
    credited_gwei: null,
    slashed_gwei: null,
    withdrawable_at: null,
  };
  const base = {
    kind: b.kind,
    account: bondAccount(event),
    ...l1,
    ...none,
    ordinal_in_tx: event.ordinalInTx,
  };
  switch (b.kind) {
    case "deposited":
      return { ...base, counterparty: b.depositor, amount_gwei: BigInt(b.amountGwei) };
    case "withdrawn":
      return { ...base, amount_gwei: BigInt(b.amountGwei) };
    case "withdrawal_requested":
      return { ...base, withdrawable_at: b.withdrawableAt };
    case "withdrawal_cancelled":
      return base;
    case "liveness_bond_settled":
      return {
        ...base,
        counterparty: b.payee,
        amount_gwei: BigInt(b.livenessBondGwei),
        credited_gwei: BigInt(b.creditedGwei),
        slashed_gwei: BigInt(b.slashedGwei),
      };
  }
}

const l1Log = (l1: ShastaL1Location) => ({ ...pacayaL1Log(l1), l1_block_ts: l1.timestamp });

function sliceRow(s: { blobHashes: readonly string[]; offset: number; timestamp: number }) {
  return {
    blob_hashes: s.blobHashes.join(","),
    blob_count: s.blobHashes.length,
    blob_offset: s.offset,
    blob_ts: s.timestamp,
  };
}
