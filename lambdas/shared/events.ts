import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ApiEventMessageSchema } from "../ingestApi/apiEventMessage.js";
import { FEE_EVENT_SCHEMAS } from "./feeEvents.js";
import { PreconfEpochEventSchema } from "./preconfEvents.js";
import { SANE_TIMESTAMP, SHASTA_EVENT_SCHEMAS } from "./shastaEvents.js";

// zod/mini instead of classic zod: the same validation, tree-shaken to the checks used here, which keeps
// each Lambda bundle ~430 KB smaller (bench: bundles). Mini ships without messages; English is loaded
// once so a DLQ reason reads "expected number, received string" rather than "Invalid input".
z.config(en());

/**
 * The wire format of every message on the Tidemark queue. One message carries
 * one observation of one fact: a block header, one inbox event, or one reorg.
 * Integers that can exceed 2^53 (gas, fees, wei) travel as decimal strings.
 */
export const SCHEMA_VERSION = 1;

const hash = z
  .string()
  .check(z.regex(/^0x[0-9a-f]{64}$/, "expected a 0x-prefixed 32-byte lowercase hex hash"));
const address = z
  .string()
  .check(z.regex(/^0x[0-9a-f]{40}$/, "expected a 0x-prefixed 20-byte lowercase hex address"));
const uint = z.int().check(z.nonnegative());
/**
 * Unix seconds, at most 2100-01-01 (SANE_TIMESTAMP, shastaEvents.ts): a timestamp in milliseconds or a
 * garbage value is refused at the edge with its field's path instead of reaching the tables and metrics.
 * No lower bound here: devnets and tests start their chains at small times.
 */
const unixSeconds = z
  .int()
  .check(z.nonnegative(), z.lte(SANE_TIMESTAMP.max, "is not a unix time in seconds (after 2100)"));

/**
 * Pacaya's batch bounds, from taikoxyz/taiko-mono @ 805152319eb2bd9ebd8c3e539b944a110c7c9f0f
 * (packages/protocol/contracts/layer1/based: TaikoInbox.sol `_validateBatchParams`,
 * ITaikoInbox.sol `Config`): `require(blocksLength != 0, BlockNotFound())` and
 * `require(blocksLength <= _maxBlocksPerBatch, TooManyBlocks())` with `uint16 maxBlocksPerBatch`;
 * `uint32 blockMaxGasLimit` is the batch's gasLimit. A proposal outside them cannot have been emitted:
 * it is refused here (one bad message, dead-lettered alone) rather than expanded into one row per block.
 */
export const PACAYA_MAX_BLOCKS_PER_BATCH = 2 ** 16 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const decimal = z.string().check(z.regex(/^[0-9]+$/, "expected a non-negative decimal integer string"));

export const ChainSchema = z.enum(["l1", "l2"]);
export type Chain = z.infer<typeof ChainSchema>;

/** Where on L1 an inbox event was observed. The block hash makes the observation reorg-aware. */
export const L1LocationSchema = z.object({
  blockNumber: uint,
  blockHash: hash,
  timestamp: unixSeconds,
  txHash: hash,
  logIndex: uint,
});
export type L1Location = z.infer<typeof L1LocationSchema>;

const headerFields = {
  number: uint,
  hash,
  parentHash: hash,
  timestamp: unixSeconds,
  gasUsed: decimal,
  gasLimit: decimal,
  baseFeePerGas: z.nullable(decimal),
  txCount: uint,
  /** The block's coinbase: on L2 this is the sequencer (proposer) that built it. */
  miner: address,
};

export const L1HeaderEventSchema = z.object({
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("l1_header"),
  ...headerFields,
});
export const L2HeaderEventSchema = z.object({
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("l2_header"),
  ...headerFields,
});

export const BatchProposedEventSchema = z
  .object({
    v: z.literal(SCHEMA_VERSION),
    type: z.literal("batch_proposed"),
    l1: L1LocationSchema,
    batchId: uint,
    proposer: address,
    coinbase: address,
    proposedAt: unixSeconds,
    proposedIn: uint,
    /** Block numbers of the batch are lastBlockId − blockCount + 1 … lastBlockId. */
    lastBlockId: uint,
    blockCount: z
      .int()
      .check(
        z.gte(1, "a batch has at least one block (BlockNotFound)"),
        z.lte(
          PACAYA_MAX_BLOCKS_PER_BATCH,
          `exceeds uint16 maxBlocksPerBatch (${PACAYA_MAX_BLOCKS_PER_BATCH})`,
        ),
      ),
    lastBlockTimestamp: unixSeconds,
    anchorBlockId: uint,
    gasLimit: uint.check(z.lte(UINT32_MAX, "exceeds uint32 blockMaxGasLimit")),
    blobHashes: z.array(hash),
    txListBytes: uint,
  })
  .check(
    z.refine((e) => e.blockCount <= e.lastBlockId + 1, {
      message: "blockCount exceeds lastBlockId + 1 (the batch would start below block 0)",
      path: ["blockCount"],
    }),
  );

export const BatchProvedEventSchema = z.object({
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("batches_proved"),
  l1: L1LocationSchema,
  batchId: uint,
  verifier: address,
  transition: z.object({ parentHash: hash, blockHash: hash, stateRoot: hash }),
});

export const BatchVerifiedEventSchema = z.object({
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("batches_verified"),
  l1: L1LocationSchema,
  batchId: uint,
  blockHash: hash,
});

export const ForcedInclusionProcessedEventSchema = z.object({
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("forced_inclusion_processed"),
  l1: L1LocationSchema,
  blobHash: hash,
  feeInGwei: decimal,
  createdAtBatchId: uint,
  blobByteOffset: uint,
  blobByteSize: uint,
  blobCreatedIn: uint,
});

const blockRef = z.object({ number: uint, hash });

/**
 * Bounds of a reorg's ordering fields. The sink orders a block's marks by `seq * 2^21 + part * 2 + orphaned`
 * (canonicalViews.ts): with these bounds that stays below 2^53, exact in every adapter's integers and in
 * Athena. A chain would need 2^31 reorgs, or a reorg split into a million messages, to reach them.
 */
export const MAX_REORG_SEQ = 2 ** 31 - 1;
export const MAX_REORG_PARTS = 2 ** 20;

/**
 * A change of the canonical chain. Canonicity is reversible: each block hash's latest mark wins, ordered by
 * `seq` (then by part), so an A→B→A flip restores A's blocks with a later event instead of leaving them
 * hidden. A reorg larger than one message allows is split into `part.count` messages sharing one `seq`.
 */
export const ReorgEventSchema = z
  .object({
    v: z.literal(SCHEMA_VERSION),
    type: z.literal("reorg"),
    chain: ChainSchema,
    /** Highest block both the old and the new chain share. */
    commonAncestor: blockRef,
    /** Number of blocks dropped from the old chain (0 for a repair that only restores). */
    depth: uint,
    /** Blocks of the old chain this event hides (this part's share when split). */
    orphaned: z.array(blockRef),
    /** Blocks of the new chain above the common ancestor this event marks canonical (again). */
    restored: z.optional(z.array(blockRef)),
    /** Per-chain reorg sequence from the ingestor's cursor: a later mark of a hash wins. Absent reads as 0. */
    seq: z.optional(uint.check(z.lte(MAX_REORG_SEQ, `exceeds ${MAX_REORG_SEQ}`))),
    /** Present when the reorg is split over several messages; `index` counts from 0. */
    part: z.optional(
      z
        .object({
          index: uint,
          count: z.int().check(z.positive(), z.lte(MAX_REORG_PARTS, `exceeds ${MAX_REORG_PARTS} parts`)),
        })
        .check(z.refine((p) => p.index < p.count, "part index must be below the part count")),
    ),
    /** Tip of the new canonical chain when the reorg was detected. */
    newHead: blockRef,
    detectedAt: unixSeconds,
  })
  .check(
    z.refine(
      (e) => e.orphaned.length + (e.restored?.length ?? 0) > 0,
      "a reorg must orphan or restore at least one block",
    ),
  );

export const PipelineEventSchema = z.discriminatedUnion("type", [
  L1HeaderEventSchema,
  L2HeaderEventSchema,
  BatchProposedEventSchema,
  BatchProvedEventSchema,
  BatchVerifiedEventSchema,
  ForcedInclusionProcessedEventSchema,
  ReorgEventSchema,
  // Events from the ingest API (POST /v1/events): one home for their shape, apiEventMessage.ts.
  ApiEventMessageSchema,
  // Shasta (shastaEvents.ts): proposals, proofs, forced inclusions, bonds, and the L2 block → proposal link.
  ...SHASTA_EVENT_SCHEMAS,
  // Fees and L1 costs (feeEvents.ts): per L2 block, per proposing or proving L1 transaction.
  ...FEE_EVENT_SCHEMAS,
  // The preconfirmation operators of a beacon epoch, read from the PreconfWhitelist (preconfEvents.ts).
  PreconfEpochEventSchema,
]);

export type L1HeaderEvent = z.infer<typeof L1HeaderEventSchema>;
export type L2HeaderEvent = z.infer<typeof L2HeaderEventSchema>;
export type HeaderEvent = L1HeaderEvent | L2HeaderEvent;
export type BatchProposedEvent = z.infer<typeof BatchProposedEventSchema>;
export type BatchProvedEvent = z.infer<typeof BatchProvedEventSchema>;
export type BatchVerifiedEvent = z.infer<typeof BatchVerifiedEventSchema>;
export type ForcedInclusionProcessedEvent = z.infer<typeof ForcedInclusionProcessedEventSchema>;
export type ReorgEvent = z.infer<typeof ReorgEventSchema>;
export type InboxEvent =
  | BatchProposedEvent
  | BatchProvedEvent
  | BatchVerifiedEvent
  | ForcedInclusionProcessedEvent;
export type { ApiEventMessage as ApiEvent } from "../ingestApi/apiEventMessage.js";
export type PipelineEvent = z.infer<typeof PipelineEventSchema>;
export type EventType = PipelineEvent["type"];

export const EVENT_TYPES: readonly EventType[] = PipelineEventSchema.def.options.flatMap(
  (o) => o.shape.type.def.values,
);

/** SQS caps a message at 256 KiB; no valid Tidemark event comes near this. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
