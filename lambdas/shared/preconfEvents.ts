import * as z from "zod/mini";
import { address, hash } from "./shastaEvents.js";

/**
 * The preconfirmation operators of one beacon epoch (issue 12, item 5), as the PreconfWhitelist holds them
 * at one L1 block: read by calls (lambdas/ingestor/readPreconf.ts), since no event names an epoch's
 * operator. Layout facts: lambdas/shared/taiko/preconfWhitelistAbi.ts (taiko-mono @b9c5bb2).
 *
 * One observation per (epoch, L1 block read at): the first L1 block of each epoch, and every block whose
 * logs may hold an OperatorAdded / OperatorRemoved (a removal changes the epoch's operator at once). An L1
 * reorg orphans an observation with its block, like an inbox log.
 *
 * This module must not import events.ts (events.ts imports it): its field primitives come from shastaEvents.ts.
 */

/** events.ts SCHEMA_VERSION; a literal here because events.ts imports this module. */
const V = z.literal(1);

const uint = z.int().check(z.nonnegative());
/** Solidity uint32 seconds (activeSince, epochStartTimestamp): devnet epochs start from unix 0. */
const uint32Seconds = z.int().check(z.nonnegative(), z.lte(2 ** 32 - 1, "exceeds uint32"));
/** PreconfWhitelist.operatorCount is a uint8. */
export const MAX_OPERATORS = 255;

/** A whitelisted operator: its proposer address (the on-chain identity) and the sequencer it preconfirms with. */
export const PreconfOperatorSchema = z.object({
  proposer: address,
  sequencer: address,
  /** The epoch start from which it may be drawn (OPERATOR_CHANGE_DELAY = 2 epochs after it was added). */
  activeSince: uint32Seconds,
});
export type PreconfOperator = z.infer<typeof PreconfOperatorSchema>;

/** Why the whitelist was read at this block: an epoch's first block, or a block that may have changed it. */
export const PreconfTriggerSchema = z.enum(["epoch_start", "operator_change"]);
export type PreconfTrigger = z.infer<typeof PreconfTriggerSchema>;

export const PreconfEpochEventSchema = z
  .object({
    v: V,
    type: z.literal("preconf_epoch"),
    whitelist: address,
    /** epochStartTimestamp(0) at the block: the epoch this observation describes. */
    epochStart: uint32Seconds,
    /** The L1 block the state was read at (eth_call by block hash). Not `l1`: that names a log's place. */
    readAt: z.object({ blockNumber: uint, blockHash: hash, timestamp: uint32Seconds }),
    trigger: PreconfTriggerSchema,
    /** getOperatorForCurrentEpoch(): the proposer address allowed to propose now (0x0…0: none). */
    currentOperator: address,
    /** getOperatorForNextEpoch(). */
    nextOperator: address,
    /** operatorMapping[0 … operatorCount − 1] with their info, in index order: every whitelisted operator. */
    operators: z
      .array(PreconfOperatorSchema)
      .check(z.maxLength(MAX_OPERATORS, "more operators than a uint8 counts")),
  })
  .check(
    z.refine((e) => e.epochStart <= e.readAt.timestamp, {
      message: "epochStart is after the block it was read at",
      path: ["epochStart"],
    }),
  );

export type PreconfEpochEvent = z.infer<typeof PreconfEpochEventSchema>;

/** The candidates of the epoch: operators active at its start (isOperatorActive: activeSince ≠ 0 and ≤ epoch). */
export const candidatesOf = (e: Pick<PreconfEpochEvent, "epochStart" | "operators">): PreconfOperator[] =>
  e.operators.filter((o) => o.activeSince !== 0 && o.activeSince <= e.epochStart);

/** `{epoch_start}:{whitelist}-preconf_epoch`: the epoch, not where it was read (the observation id adds the block). */
export const preconfEventKeyOf = (e: PreconfEpochEvent): string =>
  `${e.epochStart}:${e.whitelist}-preconf_epoch`;
