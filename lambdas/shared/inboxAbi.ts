import { parseAbi } from "viem";

/** The Pacaya inbox structs (TaikoInbox, ITaikoInbox.sol): the devnet contracts' functions take them too. */
export const INBOX_STRUCTS = [
  "struct BaseFeeConfig { uint8 adjustmentQuotient; uint8 sharingPctg; uint32 gasIssuancePerSecond; uint64 minGasExcess; uint32 maxGasIssuancePerBlock; }",
  "struct BlockParams { uint16 numTransactions; uint8 timeShift; bytes32[] signalSlots; }",
  "struct BatchInfo { bytes32 txsHash; BlockParams[] blocks; bytes32[] blobHashes; bytes32 extraData; address coinbase; uint64 proposedIn; uint64 blobCreatedIn; uint32 blobByteOffset; uint32 blobByteSize; uint32 gasLimit; uint64 lastBlockId; uint64 lastBlockTimestamp; uint64 anchorBlockId; bytes32 anchorBlockHash; BaseFeeConfig baseFeeConfig; }",
  "struct BatchMetadata { bytes32 infoHash; address proposer; uint64 batchId; uint64 proposedAt; }",
  "struct Transition { bytes32 parentHash; bytes32 blockHash; bytes32 stateRoot; }",
  "struct ForcedInclusion { bytes32 blobHash; uint64 feeInGwei; uint64 createdAtBatchId; uint32 blobByteOffset; uint32 blobByteSize; uint64 blobCreatedIn; }",
] as const;

/**
 * The Taiko (Pacaya) inbox events with their real struct layouts, as emitted by
 * TaikoInbox and the forced-inclusion wrapper on L1. Topic hashes follow from
 * these signatures, so the devnet contract and mainnet logs decode alike.
 */
export const inboxAbi = parseAbi([
  ...INBOX_STRUCTS,
  "event BatchProposed(BatchInfo info, BatchMetadata meta, bytes txList)",
  "event BatchesProved(address verifier, uint64[] batchIds, Transition[] transitions)",
  "event BatchesVerified(uint64 batchId, bytes32 blockHash)",
  "event ForcedInclusionProcessed(ForcedInclusion)",
]);
