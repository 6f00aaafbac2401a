import { parseAbi } from "viem";
import { INBOX_STRUCTS } from "../../lambdas/shared/inboxAbi.js";

/**
 * Typed ABI of the functions the devnet driver calls on contracts/DevnetInbox.sol and
 * contracts/DevnetInboxWrapper.sol. The events are not repeated here: they are read with
 * lambdas/shared/inboxAbi.ts, like mainnet logs. A test checks these selectors against solc's output.
 */
export const devnetInboxAbi = parseAbi([
  ...INBOX_STRUCTS,
  "constructor(uint64 lastBlockIdBeforeFirstBatch)",
  "function proposeBatch(BatchInfo info, bytes txList) returns (BatchMetadata meta)",
  "function proveBatches(uint64[] batchIds, Transition[] transitions)",
  "function verifyBatches(uint64 lastBatchId, bytes32 blockHash)",
  "function nextBatchId() view returns (uint64)",
  "function lastBlockId() view returns (uint64)",
  "function lastVerifiedBatchId() view returns (uint64)",
  "function isProved(uint64 batchId) view returns (bool)",
]);

export const devnetInboxWrapperAbi = parseAbi([
  ...INBOX_STRUCTS,
  "function processForcedInclusion(ForcedInclusion inclusion)",
  // Chaos only: emits any log from an address the ingestor reads (scripts/chaos/badInboxLogs.ts).
  "function emitRaw(bytes32 topic0, bytes data)",
]);
