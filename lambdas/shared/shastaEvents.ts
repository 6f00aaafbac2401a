import * as z from "zod/mini";

/**
 * Shasta facts as queue events, beside the Pacaya ones in events.ts (which puts them in the union).
 * Layouts follow taikoxyz/taiko-mono @ b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b
 * (packages/protocol/contracts/layer1/core: iface/IInbox.sol, iface/IForcedInclusionStore.sol,
 * iface/IBondManager.sol, impl/Inbox.sol); docs/NETWORKS.md lists each fact. The bounds stop values
 * the protocol cannot emit (an id past uint48, a timestamp in milliseconds, a 300 % fee share) at
 * validation, with the field's path in the reason, so they reach the DLQ instead of the tables.
 *
 * This module must not import events.ts (events.ts imports it: a cycle would read its schemas
 * before they exist), so the few field primitives it needs are its own, stricter where Shasta is.
 */

/** events.ts SCHEMA_VERSION; a literal here because events.ts imports this module. */
const V = z.literal(1);

/** A 32-byte hash, lowercase hex (also feeEvents.ts, which cannot import events.ts either). */
export const hash = z
  .string()
  .check(z.regex(/^0x[0-9a-f]{64}$/, "expected a 0x-prefixed 32-byte lowercase hex hash"));
export const address = z
  .string()
  .check(z.regex(/^0x[0-9a-f]{40}$/, "expected a 0x-prefixed 20-byte lowercase hex address"));

export const UINT48_MAX = 2 ** 48 - 1;
const UINT24_MAX = 2 ** 24 - 1;
const UINT64_MAX = 2n ** 64n - 1n;

/** Proposal ids, queue heads: Solidity uint48. */
const uint48 = z.int().check(z.nonnegative(), z.lte(UINT48_MAX, "exceeds uint48"));

/**
 * Unix seconds between 2001-09-09 and 2100-01-01: wide enough for any devnet genesis, narrow enough
 * to refuse milliseconds (1.7e12) and zero where the protocol writes block.timestamp.
 */
export const SANE_TIMESTAMP = { min: 1_000_000_000, max: 4_102_444_800 } as const;
const timestamp = z
  .int()
  .check(
    z.gte(SANE_TIMESTAMP.min, "is not a unix time in seconds (before 2001)"),
    z.lte(SANE_TIMESTAMP.max, "is not a unix time in seconds (after 2100)"),
  );
/** A timestamp the protocol may leave 0 (the genesis proposal's submission window). */
const timestampOrZero = z.union([z.literal(0), timestamp]);

/** uint64 gwei amounts as decimal strings (they pass 2^53). */
const gwei = z.string().check(
  z.regex(/^(0|[1-9][0-9]{0,19})$/, "expected a decimal uint64 without leading zeros"),
  z.refine((s) => /^[0-9]+$/.test(s) && BigInt(s) <= UINT64_MAX, "exceeds uint64"),
);

/** LibInboxSetup.sol @b9c5bb2: `require(_config.basefeeSharingPctg <= 100, BasefeeSharingPctgTooLarge())`. */
const percent = z.int().check(z.nonnegative(), z.lte(100, "is a percentage: at most 100"));

/** Inbox.sol @b9c5bb2: MAX_FORCED_INCLUSIONS_PER_PROPOSAL = 10, plus the proposer's own source. */
export const MAX_SOURCES_PER_PROPOSAL = 11;
/** Far above any block's blob count (21 after the BPO2 fork), far below what would fill a message. */
export const MAX_BLOBS_PER_SLICE = 64;
/** Facts without an id of their own are numbered within their transaction (shastaKeys.ts txOrdinals). */
export const MAX_ORDINAL_IN_TX = 10_000;

/** Where on L1 a Shasta event was observed (events.ts L1LocationSchema, with Shasta's bounds). */
export const ShastaL1LocationSchema = z.object({
  blockNumber: uint48,
  blockHash: hash,
  timestamp,
  txHash: hash,
  logIndex: z.int().check(z.nonnegative(), z.lte(1_000_000, "is not a log index")),
});
export type ShastaL1Location = z.infer<typeof ShastaL1LocationSchema>;

/** LibBlobs.sol @b9c5bb2 — struct BlobSlice { bytes32[] blobHashes; uint24 offset; uint48 timestamp; } */
export const BlobSliceSchema = z.object({
  blobHashes: z
    .array(hash)
    .check(
      z.minLength(1, "a blob slice names at least one blob (LibBlobs: NoBlobs)"),
      z.maxLength(MAX_BLOBS_PER_SLICE, `more than ${MAX_BLOBS_PER_SLICE} blobs in one slice`),
    ),
  offset: z.int().check(z.nonnegative(), z.lte(UINT24_MAX, "exceeds uint24")),
  timestamp,
});

/** IInbox.sol @b9c5bb2 — struct DerivationSource { bool isForcedInclusion; BlobSlice blobSlice; } */
export const DerivationSourceSchema = z.object({
  isForcedInclusion: z.boolean(),
  blobSlice: BlobSliceSchema,
});

/** IInbox.Proposed. Proposal 0 is the genesis activate() emits: no sources, no proposer, window 0. */
export const ShastaProposedEventSchema = z.object({
  v: V,
  type: z.literal("shasta_proposed"),
  l1: ShastaL1LocationSchema,
  proposalId: uint48,
  proposer: address,
  parentProposalHash: hash,
  endOfSubmissionWindowTimestamp: timestampOrZero,
  basefeeSharingPctg: percent,
  sources: z
    .array(DerivationSourceSchema)
    .check(z.maxLength(MAX_SOURCES_PER_PROPOSAL, `more than ${MAX_SOURCES_PER_PROPOSAL} sources`)),
});

/** IInbox.Proved; `checkpointSynced` only in the 2025-12-16 … 2026-01-19 layout (null otherwise). */
export const ShastaProvedEventSchema = z
  .object({
    v: V,
    type: z.literal("shasta_proved"),
    l1: ShastaL1LocationSchema,
    firstProposalId: uint48,
    firstNewProposalId: uint48,
    lastProposalId: uint48,
    actualProver: address,
    checkpointSynced: z.nullable(z.boolean()),
  })
  .check(
    // Inbox.prove @b9c5bb2: firstNewProposalId = firstProposalId + offset, offset < transitions.length.
    z.refine((e) => e.firstProposalId <= e.firstNewProposalId, {
      message: "firstNewProposalId is below firstProposalId",
      path: ["firstNewProposalId"],
    }),
    z.refine((e) => e.firstNewProposalId <= e.lastProposalId, {
      message: "lastProposalId is below firstNewProposalId",
      path: ["lastProposalId"],
    }),
  );

/** IInbox.StateRecovered, emitted by init2 (Proposal0017, 2026-06-29). */
export const ShastaStateRecoveredEventSchema = z
  .object({
    v: V,
    type: z.literal("shasta_state_recovered"),
    l1: ShastaL1LocationSchema,
    nextProposalId: uint48,
    lastFinalizedProposalId: uint48,
    lastFinalizedBlockHash: hash,
  })
  .check(
    // Inbox.init2 @b9c5bb2: require(_lastFinalizedProposalId < currentState.nextProposalId).
    z.refine((e) => e.lastFinalizedProposalId < e.nextProposalId, {
      message: "lastFinalizedProposalId must be below nextProposalId",
      path: ["lastFinalizedProposalId"],
    }),
  );

/** IInbox.ForcedInclusionsVoided(oldHead, newHead), emitted by init3 (Unzen): entries oldHead … newHead − 1 voided. */
export const ShastaForcedInclusionsVoidedEventSchema = z
  .object({
    v: V,
    type: z.literal("shasta_forced_inclusions_voided"),
    l1: ShastaL1LocationSchema,
    oldHead: uint48,
    newHead: uint48,
  })
  .check(z.refine((e) => e.oldHead <= e.newHead, { message: "newHead is below oldHead", path: ["newHead"] }));

/** Inbox.InboxActivated (impl/Inbox.sol): may repeat from other txs within the 2-hour activation window. */
export const ShastaInboxActivatedEventSchema = z.object({
  v: V,
  type: z.literal("shasta_inbox_activated"),
  l1: ShastaL1LocationSchema,
  lastPacayaBlockHash: hash,
});

/** IForcedInclusionStore.ForcedInclusionSaved(ForcedInclusion{uint64 feeInGwei; BlobSlice blobSlice}). */
export const ShastaForcedInclusionSavedEventSchema = z.object({
  v: V,
  type: z.literal("shasta_forced_inclusion_saved"),
  l1: ShastaL1LocationSchema,
  /** n-th ForcedInclusionSaved of its transaction: the fact's identity (the event carries no index). */
  ordinalInTx: z.int().check(z.nonnegative(), z.lte(MAX_ORDINAL_IN_TX, "is not an ordinal in one tx")),
  feeInGwei: gwei,
  blobSlice: BlobSliceSchema,
});

/** The five IBondManager events (iface/IBondManager.sol @b9c5bb2), by kind. */
export const BondSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("deposited"), depositor: address, recipient: address, amountGwei: gwei }),
  z.object({ kind: z.literal("withdrawn"), account: address, amountGwei: gwei }),
  z.object({ kind: z.literal("withdrawal_requested"), account: address, withdrawableAt: timestamp }),
  z.object({ kind: z.literal("withdrawal_cancelled"), account: address }),
  z.object({
    kind: z.literal("liveness_bond_settled"),
    payer: address,
    payee: address,
    livenessBondGwei: gwei,
    creditedGwei: gwei,
    slashedGwei: gwei,
  }),
]);
export type Bond = z.infer<typeof BondSchema>;
export type BondKind = Bond["kind"];

export const ShastaBondEventSchema = z.object({
  v: V,
  type: z.literal("shasta_bond_event"),
  l1: ShastaL1LocationSchema,
  /** n-th bond event of this kind in its transaction: bond events carry no id either. */
  ordinalInTx: z.int().check(z.nonnegative(), z.lte(MAX_ORDINAL_IN_TX, "is not an ordinal in one tx")),
  bond: BondSchema,
});

/**
 * The L2 side's link: an L2 block names its proposal in its header's extraData (byte 0
 * basefeeSharingPctg, bytes 1..6 proposalId; Derivation.md @b9c5bb2). Like a header event it is
 * identified by its block hash, so an L2 reorg orphans it with its block.
 */
export const ShastaProposalBlockEventSchema = z.object({
  v: V,
  type: z.literal("shasta_proposal_block"),
  /** The L2 block. */
  number: uint48,
  hash,
  timestamp,
  /** Proposal 0 (genesis) has no L2 block. */
  proposalId: uint48.check(z.positive("proposal 0 (genesis) has no L2 block")),
  basefeeSharingPctg: percent,
  /** From the block's first transaction, Anchor.anchorV4(Checkpoint): the L1 block anchored to (0 = the parent's). */
  anchor: z.object({ txHash: hash, l1BlockNumber: uint48, l1BlockHash: hash }),
});

export const SHASTA_EVENT_SCHEMAS = [
  ShastaProposedEventSchema,
  ShastaProvedEventSchema,
  ShastaStateRecoveredEventSchema,
  ShastaForcedInclusionsVoidedEventSchema,
  ShastaInboxActivatedEventSchema,
  ShastaForcedInclusionSavedEventSchema,
  ShastaBondEventSchema,
  ShastaProposalBlockEventSchema,
] as const;

export type ShastaProposedEvent = z.infer<typeof ShastaProposedEventSchema>;
export type ShastaProvedEvent = z.infer<typeof ShastaProvedEventSchema>;
export type ShastaStateRecoveredEvent = z.infer<typeof ShastaStateRecoveredEventSchema>;
export type ShastaForcedInclusionsVoidedEvent = z.infer<typeof ShastaForcedInclusionsVoidedEventSchema>;
export type ShastaInboxActivatedEvent = z.infer<typeof ShastaInboxActivatedEventSchema>;
export type ShastaForcedInclusionSavedEvent = z.infer<typeof ShastaForcedInclusionSavedEventSchema>;
export type ShastaBondEvent = z.infer<typeof ShastaBondEventSchema>;
export type ShastaProposalBlockEvent = z.infer<typeof ShastaProposalBlockEventSchema>;
/** Every Shasta event observed in an L1 log. */
export type ShastaL1Event =
  | ShastaProposedEvent
  | ShastaProvedEvent
  | ShastaStateRecoveredEvent
  | ShastaForcedInclusionsVoidedEvent
  | ShastaInboxActivatedEvent
  | ShastaForcedInclusionSavedEvent
  | ShastaBondEvent;
export type ShastaEvent = ShastaL1Event | ShastaProposalBlockEvent;
export type ShastaEventType = ShastaEvent["type"];
