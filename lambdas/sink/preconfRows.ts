import { candidatesOf, type PreconfEpochEvent } from "../shared/preconfEvents.js";
import type { CanonicalView } from "./canonicalViews.js";
import type { Columns } from "./rows.js";
import type { SinkRecord } from "./Sink.js";

/**
 * Preconfirmation operators per epoch → rows (issue 12, item 5). rows.ts adds this table to the one list
 * every adapter's schema, the Firehose routing and the Glue tables derive from. One row per observation:
 * the whitelist as one L1 block held it. Addresses lists are comma-separated, lowercase, in the
 * whitelist's index order, so every sink stores them as plain text and a query can split them.
 */
export interface PreconfEpochRow {
  whitelist: string;
  epoch_start_ts: number;
  l1_block_number: number;
  l1_block_hash: string;
  l1_block_ts: number;
  /** epoch_start | operator_change */
  trigger: string;
  current_operator: string;
  next_operator: string;
  /** Every whitelisted operator (operatorMapping order): proposer addresses. */
  operator_count: number;
  operators: string;
  /** Their sequencer addresses, in the same order. */
  sequencers: string;
  /** Their activeSince epoch starts, in the same order. */
  active_since: string;
  /** The operators active in this epoch (the draw's candidates), proposer addresses. */
  candidate_count: number;
  candidates: string;
  event_key: string;
  observation_id: string;
}

export interface PreconfTableRowTypes {
  preconf_epochs: PreconfEpochRow;
}
export type PreconfTableName = keyof PreconfTableRowTypes;

export const PRECONF_TABLE_COLUMNS: { readonly [T in PreconfTableName]: Columns<PreconfTableRowTypes[T]> } = {
  preconf_epochs: {
    whitelist: "text",
    epoch_start_ts: "int",
    l1_block_number: "int",
    l1_block_hash: "text",
    l1_block_ts: "int",
    trigger: "text",
    current_operator: "text",
    next_operator: "text",
    operator_count: "int",
    operators: "text",
    sequencers: "text",
    active_since: "text",
    candidate_count: "int",
    candidates: "text",
    event_key: "text",
    observation_id: "text",
  },
};

/** One row per observation (one epoch read at one L1 block). */
export const PRECONF_PRIMARY_KEYS: {
  readonly [T in PreconfTableName]: readonly (keyof PreconfTableRowTypes[T] & string)[];
} = { preconf_epochs: ["observation_id"] };

export const PRECONF_TABLE_NAMES = Object.keys(PRECONF_TABLE_COLUMNS) as PreconfTableName[];

export const isPreconfTable = (table: string): table is PreconfTableName =>
  (PRECONF_TABLE_NAMES as readonly string[]).includes(table);

/** Canonical unless the L1 block it was read at is orphaned. */
export const PRECONF_CANONICAL_VIEWS: readonly CanonicalView[] = [
  { view: "canonical_preconf_epochs", table: "preconf_epochs", hashColumn: "l1_block_hash", chain: "l1" },
];

/** The one row a preconf_epoch record contributes. */
export function preconfRowsOf(
  record: SinkRecord & { readonly event: PreconfEpochEvent },
): { readonly table: "preconf_epochs"; readonly row: PreconfEpochRow }[] {
  const { event, key: event_key, observationId: observation_id } = record;
  const candidates = candidatesOf(event);
  return [
    {
      table: "preconf_epochs",
      row: {
        whitelist: event.whitelist,
        epoch_start_ts: event.epochStart,
        l1_block_number: event.readAt.blockNumber,
        l1_block_hash: event.readAt.blockHash,
        l1_block_ts: event.readAt.timestamp,
        trigger: event.trigger,
        current_operator: event.currentOperator,
        next_operator: event.nextOperator,
        operator_count: event.operators.length,
        operators: event.operators.map((o) => o.proposer).join(","),
        sequencers: event.operators.map((o) => o.sequencer).join(","),
        active_since: event.operators.map((o) => o.activeSince).join(","),
        candidate_count: candidates.length,
        candidates: candidates.map((o) => o.proposer).join(","),
        event_key,
        observation_id,
      },
    },
  ];
}
