// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The Taiko (Pacaya) inbox structs, field for field as in lambdas/shared/inboxAbi.ts.
// Event topics are hashed over these tuple layouts, so any drift here breaks decoding.

struct BaseFeeConfig {
    uint8 adjustmentQuotient;
    uint8 sharingPctg;
    uint32 gasIssuancePerSecond;
    uint64 minGasExcess;
    uint32 maxGasIssuancePerBlock;
}

struct BlockParams {
    uint16 numTransactions;
    uint8 timeShift;
    bytes32[] signalSlots;
}

struct BatchInfo {
    bytes32 txsHash;
    BlockParams[] blocks;
    bytes32[] blobHashes;
    bytes32 extraData;
    address coinbase;
    uint64 proposedIn;
    uint64 blobCreatedIn;
    uint32 blobByteOffset;
    uint32 blobByteSize;
    uint32 gasLimit;
    uint64 lastBlockId;
    uint64 lastBlockTimestamp;
    uint64 anchorBlockId;
    bytes32 anchorBlockHash;
    BaseFeeConfig baseFeeConfig;
}

struct BatchMetadata {
    bytes32 infoHash;
    address proposer;
    uint64 batchId;
    uint64 proposedAt;
}

struct Transition {
    bytes32 parentHash;
    bytes32 blockHash;
    bytes32 stateRoot;
}

struct ForcedInclusion {
    bytes32 blobHash;
    uint64 feeInGwei;
    uint64 createdAtBatchId;
    uint32 blobByteOffset;
    uint32 blobByteSize;
    uint64 blobCreatedIn;
}
