import { decodeEventLog, encodeEventTopics, type Hex } from "viem";
import { type InboxEvent, PipelineEventSchema, SCHEMA_VERSION } from "../shared/events.js";
import { inboxAbi } from "../shared/inboxAbi.js";
import type { ChainLog } from "./chainReader.js";

/** topic0 of every inbox event: the eth_getLogs filter. */
export const inboxEventTopics: readonly Hex[] = (
  ["BatchProposed", "BatchesProved", "BatchesVerified", "ForcedInclusionProcessed"] as const
).map((eventName) => encodeEventTopics({ abi: inboxAbi, eventName })[0] as Hex);

export interface DecodeInboxLogsParameters {
  readonly logs: readonly ChainLog[];
  /** Timestamp of each block the logs come from (the headers read for the same range). */
  readonly blockTimestamps: ReadonlyMap<number, number>;
}

export interface SkippedLog {
  readonly log: ChainLog;
  readonly reason: string;
}

export interface DecodeInboxLogsReturnType {
  readonly events: InboxEvent[];
  /** Logs that could not be decoded into a valid event: reported, never fatal (one bad log must not stop the chain). */
  readonly skipped: SkippedLog[];
}

/** Decode inbox logs into queue events, in log order. BatchesProved with N batch ids gives N events. */
export function decodeInboxLogs({
  logs,
  blockTimestamps,
}: DecodeInboxLogsParameters): DecodeInboxLogsReturnType {
  const events: InboxEvent[] = [];
  const skipped: SkippedLog[] = [];
  for (const log of logs) {
    try {
      const timestamp = blockTimestamps.get(log.blockNumber);
      if (timestamp === undefined) throw new Error(`no header read for block ${log.blockNumber}`);
      for (const event of decodeLog(log, timestamp)) {
        const checked = PipelineEventSchema.safeParse(event);
        if (!checked.success) throw new Error(`decoded event is invalid: ${checked.error.message}`);
        events.push(event);
      }
    } catch (error) {
      skipped.push({ log, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { events, skipped };
}

function decodeLog(log: ChainLog, timestamp: number): InboxEvent[] {
  const decoded = decodeEventLog({
    abi: inboxAbi,
    data: log.data,
    topics: log.topics as [Hex, ...Hex[]],
    strict: true,
  });
  const l1 = {
    blockNumber: log.blockNumber,
    blockHash: lower(log.blockHash),
    timestamp,
    txHash: lower(log.transactionHash),
    logIndex: log.logIndex,
  };
  const v = SCHEMA_VERSION;
  switch (decoded.eventName) {
    case "BatchProposed": {
      const { info, meta, txList } = decoded.args;
      return [
        {
          v,
          type: "batch_proposed",
          l1,
          batchId: num(meta.batchId, "batchId"),
          proposer: lower(meta.proposer),
          coinbase: lower(info.coinbase),
          proposedAt: num(meta.proposedAt, "proposedAt"),
          proposedIn: num(info.proposedIn, "proposedIn"),
          lastBlockId: num(info.lastBlockId, "lastBlockId"),
          blockCount: info.blocks.length,
          lastBlockTimestamp: num(info.lastBlockTimestamp, "lastBlockTimestamp"),
          anchorBlockId: num(info.anchorBlockId, "anchorBlockId"),
          gasLimit: info.gasLimit,
          blobHashes: info.blobHashes.map(lower),
          // The tx list travels either as calldata or in blobs; count the bytes of whichever carried it.
          txListBytes: txList.length > 2 ? (txList.length - 2) / 2 : info.blobByteSize,
        },
      ];
    }
    case "BatchesProved": {
      const { verifier, batchIds, transitions } = decoded.args;
      if (batchIds.length !== transitions.length) {
        throw new Error(
          `BatchesProved has ${batchIds.length} batch ids but ${transitions.length} transitions`,
        );
      }
      return batchIds.map((batchId, i) => {
        const transition = transitions[i] as (typeof transitions)[number];
        return {
          v,
          type: "batches_proved" as const,
          l1,
          batchId: num(batchId, "batchId"),
          verifier: lower(verifier),
          transition: {
            parentHash: lower(transition.parentHash),
            blockHash: lower(transition.blockHash),
            stateRoot: lower(transition.stateRoot),
          },
        };
      });
    }
    case "BatchesVerified":
      return [
        {
          v,
          type: "batches_verified",
          l1,
          batchId: num(decoded.args.batchId, "batchId"),
          blockHash: lower(decoded.args.blockHash),
        },
      ];
    case "ForcedInclusionProcessed": {
      const [forced] = decoded.args;
      return [
        {
          v,
          type: "forced_inclusion_processed",
          l1,
          blobHash: lower(forced.blobHash),
          feeInGwei: forced.feeInGwei.toString(),
          createdAtBatchId: num(forced.createdAtBatchId, "createdAtBatchId"),
          blobByteOffset: forced.blobByteOffset,
          blobByteSize: forced.blobByteSize,
          blobCreatedIn: num(forced.blobCreatedIn, "blobCreatedIn"),
        },
      ];
    }
  }
}

/** uint64 fields are JSON numbers in the schema: refuse (skip the log) rather than round one silently. */
function num(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${field} ${value} exceeds 2^53`);
  return Number(value);
}

function lower(value: string): Hex {
  return value.toLowerCase() as Hex;
}
