/**
 * Event factories for every suite: deterministic events whose hashes, parents and L1 locations line
 * up (a reorg of `l2:4` orphans exactly what l2Header(4) made). Each takes overrides, so a suite that
 * needs other defaults passes them instead of writing its own factory.
 */
import { eventIdOf } from "../../lambdas/ingestApi/apiEventMessage.js";
import { payloadSha256 } from "../../lambdas/ingestApi/receipts.js";
import {
  type ApiEvent,
  type BatchProposedEvent,
  type BatchProvedEvent,
  type BatchVerifiedEvent,
  type ForcedInclusionProcessedEvent,
  type L1HeaderEvent,
  type L1Location,
  type L2HeaderEvent,
  type PipelineEvent,
  PipelineEventSchema,
  type ReorgEvent,
} from "../../lambdas/shared/events.js";
import { eventKey, observationId } from "../../lambdas/shared/keys.js";
import type { SinkRecord } from "../../lambdas/sink/Sink.js";

/** A deterministic 32-byte hash from a label, e.g. hash("l2:5") — readable in failures. */
export function hash(label: string): string {
  let hex = "";
  for (const ch of label) hex += ch.charCodeAt(0).toString(16).padStart(2, "0");
  return `0x${hex.padEnd(64, "0").slice(0, 64)}`;
}

export const address = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

/** The record the processor would hand to the sink: schema-valid, with the real key and observation id. */
export function record(event: PipelineEvent): SinkRecord {
  const parsed = PipelineEventSchema.parse(event);
  return { event: parsed, key: eventKey(parsed), observationId: observationId(parsed) };
}

/** A sink record the schema would refuse: for the sinks' own checks behind validation. */
export function uncheckedRecord(event: PipelineEvent): SinkRecord {
  return { event, key: eventKey(event), observationId: observationId(event) };
}

export function l1Header(n: number, over: Partial<L1HeaderEvent> = {}): L1HeaderEvent {
  return {
    v: 1,
    type: "l1_header",
    number: n,
    hash: hash(`l1:${n}`),
    parentHash: hash(`l1:${n - 1}`),
    timestamp: 1_700_000_000 + n * 12,
    gasUsed: "15000000",
    gasLimit: "30000000",
    baseFeePerGas: "1000000000",
    txCount: 100,
    miner: address(1),
    ...over,
  };
}

export function l2Header(n: number, over: Partial<L2HeaderEvent> = {}): L2HeaderEvent {
  return {
    v: 1,
    type: "l2_header",
    number: n,
    hash: hash(`l2:${n}`),
    parentHash: hash(`l2:${n - 1}`),
    timestamp: 1_700_000_000 + n * 2,
    gasUsed: "1000000",
    gasLimit: "240000000",
    baseFeePerGas: "10000000",
    txCount: 10,
    miner: address(0xa),
    ...over,
  };
}

/** Where an inbox log sits on L1; the block hash follows the L1 header factory so orphaning lines up. */
export function at(blockNumber: number, over: Partial<L1Location> = {}): L1Location {
  return {
    blockNumber,
    blockHash: hash(`l1:${blockNumber}`),
    timestamp: 1_700_000_000 + blockNumber * 12,
    txHash: hash(`tx:${blockNumber}`),
    logIndex: 0,
    ...over,
  };
}

export function proposed(
  batchId: number,
  l1: L1Location = at(100 + batchId),
  over: Partial<BatchProposedEvent> = {},
): BatchProposedEvent {
  return {
    v: 1,
    type: "batch_proposed",
    l1,
    batchId,
    proposer: address(0xb),
    coinbase: address(0xc),
    proposedAt: l1.timestamp,
    proposedIn: Math.max(0, l1.blockNumber - 1),
    lastBlockId: batchId * 3 + 2,
    blockCount: 3,
    lastBlockTimestamp: l1.timestamp - 1,
    anchorBlockId: Math.max(0, l1.blockNumber - 2),
    gasLimit: 240_000_000,
    blobHashes: [hash(`blob:${batchId}`)],
    txListBytes: 1000,
    ...over,
  };
}

export function proved(
  batchId: number,
  l1: L1Location = at(200 + batchId),
  over: Partial<BatchProvedEvent> = {},
): BatchProvedEvent {
  return {
    v: 1,
    type: "batches_proved",
    l1,
    batchId,
    verifier: address(0xd),
    transition: {
      parentHash: hash(`p:${batchId}`),
      blockHash: hash(`b:${batchId}`),
      stateRoot: hash(`s:${batchId}`),
    },
    ...over,
  };
}

export function verified(batchId: number, l1: L1Location = at(300 + batchId)): BatchVerifiedEvent {
  return { v: 1, type: "batches_verified", l1, batchId, blockHash: hash(`b:${batchId}`) };
}

export function forcedInclusion(
  label: string,
  l1: L1Location,
  over: Partial<ForcedInclusionProcessedEvent> = {},
): ForcedInclusionProcessedEvent {
  return {
    v: 1,
    type: "forced_inclusion_processed",
    l1,
    blobHash: hash(`fi:${label}`),
    feeInGwei: "18446744073709551615",
    createdAtBatchId: 7,
    blobByteOffset: 0,
    blobByteSize: 4096,
    blobCreatedIn: l1.blockNumber - 1,
    ...over,
  };
}

/** A reorg on `chain` that orphaned the factory blocks `from … to` (inclusive) in favour of hashes labelled `alt`. */
export function reorg(chain: "l1" | "l2", from: number, to: number, detectedAt = 1_800_000_000): ReorgEvent {
  const orphaned = [];
  for (let n = from; n <= to; n++) orphaned.push({ number: n, hash: hash(`${chain}:${n}`) });
  return {
    v: 1,
    type: "reorg",
    chain,
    commonAncestor: { number: from - 1, hash: hash(`${chain}:${from - 1}`) },
    depth: to - from + 1,
    orphaned,
    newHead: { number: to, hash: hash(`${chain}alt:${to}`) },
    detectedAt,
  };
}

/** An ingest API event as the queue carries it; `payload: undefined` with a payloadRef is a claim-checked one. */
export function apiEvent(
  stream: string,
  sequence: number,
  payload: unknown = { n: sequence },
  over: Partial<ApiEvent> = {},
): ApiEvent {
  const clientEventId = `client-${sequence}`;
  return {
    v: 1,
    type: "api_event",
    stream,
    sequence,
    eventId: eventIdOf(stream, clientEventId),
    eventType: "note",
    clientEventId,
    acceptedAt: new Date(1_800_000_000_000 + sequence).toISOString(),
    payloadSha256: payloadSha256(payload),
    payload,
    ...over,
  };
}
