import { parseAbi } from "viem";

/**
 * Typed ABI of the functions the devnet driver calls on contracts/DevnetInbox.sol and
 * contracts/DevnetInboxWrapper.sol. The events are not repeated here: they are read with
 * lambdas/shared/inboxAbi.ts, like mainnet logs. A test checks these selectors against solc's output.
 */
const structs = [
  "struct BaseFeeConfig { uint8 adjustmentQuotient; uint8 sharingPctg; uint32 gasIssuancePerSecond; uint64 minGasExcess; uint32 maxGasIssuancePerBlock; }",
  "struct BlockParams { uint16 numTransactions; uint8 timeShift; bytes32[] signalSlots; }",
  "struct BatchInfo { bytes32 txsHash; BlockParams[] blocks; bytes32[] blobHashes; bytes32 extraData; address coinbase; uint64 proposedIn; uint64 blobCreatedIn; uint32 blobByteOffset; uint32 blobByteSize; uint32 gasLimit; uint64 lastBlockId; uint64 lastBlockTimestamp; uint64 anchorBlockId; bytes32 anchorBlockHash; BaseFeeConfig baseFeeConfig; }",
  "struct BatchMetadata { bytes32 infoHash; address proposer; uint64 batchId; uint64 proposedAt; }",
  "struct Transition { bytes32 parentHash; bytes32 blockHash; bytes32 stateRoot; }",
  "struct ForcedInclusion { bytes32 blobHash; uint64 feeInGwei; uint64 createdAtBatchId; uint32 blobByteOffset; uint32 blobByteSize; uint64 blobCreatedIn; }",
] as const;

export const devnetInboxAbi = parseAbi([
  ...structs,
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
  ...structs,
  "function processForcedInclusion(ForcedInclusion inclusion)",
]);
