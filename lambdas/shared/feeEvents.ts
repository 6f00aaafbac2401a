import * as z from "zod/mini";
import { address, hash } from "./shastaEvents.js";

/**
 * What a block's fees earn the sequencer and what its L1 transactions cost (issue 12, item 5), as queue
 * events beside the Pacaya ones in events.ts (which puts them in the union). Derivations are in
 * lambdas/shared/taiko/feesOf.ts; the definitions, with the protocol sources they follow, in
 * docs/NETWORKS.md ("Fees, costs and sequencer profit").
 *
 * This module must not import events.ts (events.ts imports it): its field primitives come from shastaEvents.ts.
 */

/** events.ts SCHEMA_VERSION; a literal here because events.ts imports this module. */
const V = z.literal(1);

const uint = z.int().check(z.nonnegative());
/** Unix seconds up to 2100-01-01 (SANE_TIMESTAMP.max); devnets start at small times. */
const unixSeconds = z
  .int()
  .check(z.nonnegative(), z.lte(4_102_444_800, "is not a unix time in seconds (after 2100)"));

const UINT256_MAX = 2n ** 256n - 1n;
/** A uint256 as a decimal string without leading zeros: wei amounts and gas prices pass 2^53. */
const wei = z.string().check(
  z.regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal uint256 without leading zeros"),
  z.refine((s) => /^[0-9]+$/.test(s) && BigInt(s) <= UINT256_MAX, "exceeds uint256"),
);
/** A share of the base fee, as the protocol bounds it (LibInboxSetup: basefeeSharingPctg <= 100). */
const percent = z.int().check(z.nonnegative(), z.lte(100, "is a percentage: at most 100"));

/** Far above what fits in a block at any gas limit a Taiko chain runs (21,000 gas per transaction). */
export const MAX_TXS_PER_BLOCK = 100_000;

/**
 * One L2 block's fees without its anchor transaction (the first, sent to the L2 anchor): the protocol
 * charges the anchor no base fee (taiko-geth state_transition.go, `!st.msg.IsAnchor`), and it pays no tip.
 * Identified by the block hash, like its header: an L2 reorg orphans it with its block.
 */
export const L2BlockFeesEventSchema = z
  .object({
    v: V,
    type: z.literal("l2_block_fees"),
    number: uint,
    hash,
    timestamp: unixSeconds,
    /** The block's base fee per gas (wei). */
    baseFeePerGas: wei,
    /** Transactions counted (the anchor excluded) and their gas. */
    txCount: uint.check(z.lte(MAX_TXS_PER_BLOCK, `more than ${MAX_TXS_PER_BLOCK} transactions`)),
    gasUsed: wei,
    /** Σ (effectiveGasPrice − baseFee) × gasUsed: what the coinbase receives as tips. */
    priorityFeeWei: wei,
    /** Σ baseFee × gasUsed. */
    baseFeeWei: wei,
    /** The block's base-fee sharing % from its header (null when the header's layout does not carry one). */
    basefeeSharingPctg: z.nullable(percent),
    /** Σ ⌊baseFee × gasUsed × pct / 100⌋ per transaction: the base fee paid to the coinbase (null with pct). */
    sharedBaseFeeWei: z.nullable(wei),
    /** The excluded anchor transaction (null: the block has none, e.g. a devnet's Pacaya blocks). */
    anchorTxHash: z.nullable(hash),
  })
  .check(
    z.refine((e) => (e.basefeeSharingPctg === null) === (e.sharedBaseFeeWei === null), {
      message: "sharedBaseFeeWei is known exactly when basefeeSharingPctg is",
      path: ["sharedBaseFeeWei"],
    }),
    z.refine((e) => e.sharedBaseFeeWei === null || BigInt(e.sharedBaseFeeWei) <= BigInt(e.baseFeeWei), {
      message: "sharedBaseFeeWei exceeds baseFeeWei",
      path: ["sharedBaseFeeWei"],
    }),
  );

/** Why an L1 transaction's cost is recorded: it proposed (data cost) or proved (proving cost). */
export const L1TxRoleSchema = z.enum(["propose", "prove"]);
export type L1TxRole = z.infer<typeof L1TxRoleSchema>;

/**
 * What one proposing or proving L1 transaction cost its sender, from its receipt: gasUsed ×
 * effectiveGasPrice + blobGasUsed × blobGasPrice (0 without blobs). `l1.logIndex` is the first inbox
 * log of the transaction, so the observation is one per transaction per L1 block: an L1 reorg that
 * moves the transaction gives a new one, hidden with its old block by the canonical view.
 */
export const L1TxCostEventSchema = z.object({
  v: V,
  type: z.literal("l1_tx_cost"),
  l1: z.object({
    blockNumber: uint,
    blockHash: hash,
    timestamp: unixSeconds,
    txHash: hash,
    logIndex: uint,
  }),
  role: L1TxRoleSchema,
  from: address,
  to: address,
  gasUsed: wei,
  effectiveGasPrice: wei,
  blobGasUsed: wei,
  blobGasPrice: wei,
  /** gasUsed × effectiveGasPrice + blobGasUsed × blobGasPrice. */
  costWei: wei,
});

export const FEE_EVENT_SCHEMAS = [L2BlockFeesEventSchema, L1TxCostEventSchema] as const;

export type L2BlockFeesEvent = z.infer<typeof L2BlockFeesEventSchema>;
export type L1TxCostEvent = z.infer<typeof L1TxCostEventSchema>;
export type FeeEvent = L2BlockFeesEvent | L1TxCostEvent;

/** `{number}:{hash}-l2_block_fees` (the header's style) and `{l1_tx_hash}-{role}_cost`: the fact, not where it was seen. */
export function feeEventKeyOf(event: FeeEvent): string {
  return event.type === "l2_block_fees"
    ? `${event.number}:${event.hash}-l2_block_fees`
    : `${event.l1.txHash}-${event.role}_cost`;
}

/** The chain position that spreads fee events over message groups: the block number. */
export const feePartitionNumber = (event: FeeEvent): number =>
  event.type === "l2_block_fees" ? event.number : event.l1.blockNumber;

export const isFeeEvent = (event: { readonly type: string }): event is FeeEvent =>
  event.type === "l2_block_fees" || event.type === "l1_tx_cost";
