import { createHash } from "node:crypto";
import type { PipelineEvent, ReorgEvent } from "./events.js";
import { feeEventKeyOf, feePartitionNumber } from "./feeEvents.js";
import { preconfEventKeyOf } from "./preconfEvents.js";
import { shastaEventKeyOf, shastaPartitionNumber } from "./shastaEventKeys.js";

/**
 * The event key: the identity operators know from the self-hosted design.
 * It names the fact, not where it was seen: an L1 reorg that re-includes the
 * same transaction in another block keeps the key of a batch event.
 */
export function eventKey(event: PipelineEvent): string {
  switch (event.type) {
    case "l1_header":
    case "l2_header":
      return `${event.number}:${event.hash}-${event.type}`;
    case "batch_proposed":
    case "batches_proved":
    case "batches_verified":
      return `${event.batchId}:${event.l1.txHash}-${event.type}`;
    case "forced_inclusion_processed":
      return `${event.blobHash}-forced_inclusion_processed`;
    case "reorg":
      return reorgKey(event);
    case "api_event":
      return `${event.stream}:${event.sequence}-api_event`;
    case "l2_block_fees":
    case "l1_tx_cost":
      return feeEventKeyOf(event);
    case "preconf_epoch":
      return preconfEventKeyOf(event);
    default:
      return shastaEventKeyOf(event);
  }
}

/**
 * The observation id: one fact seen in one block. The same block read twice
 * gives the same id; a reorg that moves a transaction into another block gives
 * a new one. It is the SQS MessageDeduplicationId (64 hex chars, under SQS's
 * 128) and the DynamoDB idempotency key.
 */
export function observationId(event: PipelineEvent): string {
  // An API event is one fact whatever delivered it (request, outbox sweeper, redrive): its eventId.
  if (event.type === "api_event") return event.eventId;
  const key = eventKey(event);
  // A whitelist read is no log: the block it was read at is where it was seen.
  const where =
    event.type === "preconf_epoch"
      ? event.readAt.blockHash
      : "l1" in event
        ? `${event.l1.blockHash}#${event.l1.logIndex}`
        : event.type === "reorg"
          ? ""
          : event.hash;
  return createHash("sha256").update(`${key}@${where}`).digest("hex");
}

/** The chain-position number used to spread events over message groups. */
export function partitionNumber(event: PipelineEvent): number {
  switch (event.type) {
    case "l1_header":
    case "l2_header":
      return event.number;
    case "batch_proposed":
    case "batches_proved":
    case "batches_verified":
      return event.batchId;
    case "forced_inclusion_processed":
      return event.createdAtBatchId;
    case "reorg":
      return event.commonAncestor.number;
    case "api_event":
      return event.sequence;
    case "l2_block_fees":
    case "l1_tx_cost":
      return feePartitionNumber(event);
    case "preconf_epoch":
      return event.readAt.blockNumber;
    default:
      return shastaPartitionNumber(event);
  }
}

export function streamOf(event: PipelineEvent): string {
  switch (event.type) {
    case "l1_header":
      return "l1";
    case "l2_header":
      return "l2";
    case "reorg":
      return `${event.chain}-reorg`;
    // The same groups the ingest API sends to (apiMessageGroupId): `api:{stream}:{sequence mod P}`.
    case "api_event":
      return `api:${event.stream}`;
    // The L2 side's proposal link travels with the L2 headers, partitioned by the same block number.
    case "shasta_proposal_block":
    case "l2_block_fees":
      return "l2";
    default:
      return "inbox";
  }
}

/** MessageGroupId `{stream}:{n mod P}`: processing scales with partitions, so it must be order-insensitive. */
export function messageGroupId(event: PipelineEvent, partitions: number): string {
  return `${streamOf(event)}:${partitionNumber(event) % partitions}`;
}

/**
 * A reorg's key names every mark it carries: what it orphans, what it restores, its sequence and its part.
 * An A→B→A flip restores A's blocks with a later `seq`, so it is a new observation rather than a duplicate
 * of the first reorg; the parts of a split reorg are distinct observations. An unsplit, sequence-less reorg
 * that only orphans keeps the key it always had, so a replay of an old message is still a duplicate.
 */
function reorgKey(event: ReorgEvent): string {
  const restored = event.restored?.length ? `:r${orphanDigest(event.restored)}` : "";
  const seq = event.seq === undefined ? "" : `:s${event.seq}`;
  const part = event.part === undefined ? "" : `:p${event.part.index}of${event.part.count}`;
  return `${event.chain}:${event.commonAncestor.number}:${orphanDigest(event.orphaned)}${restored}${seq}${part}-reorg`;
}

function orphanDigest(orphaned: readonly { hash: string }[]): string {
  const h = createHash("sha256");
  for (const o of [...orphaned].map((x) => x.hash).sort()) h.update(o);
  return h.digest("hex").slice(0, 16);
}
