// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchInfo, BatchMetadata, Transition} from "./TaikoInboxTypes.sol";

/// @notice A stand-in for TaikoInbox on a local L1: it emits the real inbox events and keeps
/// just enough state to refuse a batch story that mainnet would never tell (gaps, overlaps,
/// proving an unknown batch, verifying an unproved one). No access control: devnet only.
contract DevnetInbox {
    event BatchProposed(BatchInfo info, BatchMetadata meta, bytes txList);
    event BatchesProved(address verifier, uint64[] batchIds, Transition[] transitions);
    event BatchesVerified(uint64 batchId, bytes32 blockHash);

    /// @notice Id the next proposed batch gets; batch 0 is the genesis batch, as on Taiko.
    uint64 public nextBatchId = 1;
    /// @notice Last L2 block covered by a proposed batch; the next batch starts right after it.
    uint64 public lastBlockId;
    uint64 public lastVerifiedBatchId;
    mapping(uint64 batchId => bool) public isProved;

    /// @param _lastBlockIdBeforeFirstBatch the L2 head when the inbox starts: batch 1 begins at the next block.
    constructor(uint64 _lastBlockIdBeforeFirstBatch) {
        lastBlockId = _lastBlockIdBeforeFirstBatch;
    }

    /// @notice Proposes the L2 blocks lastBlockId - blocks.length + 1 ... lastBlockId as the next batch.
    /// proposedIn is set here from block.number, whatever the caller passed.
    function proposeBatch(BatchInfo calldata _info, bytes calldata _txList)
        external
        returns (BatchMetadata memory meta_)
    {
        require(_info.blocks.length > 0, "DevnetInbox: empty batch");
        // Batches partition the L2 chain: each starts right after the previous one ends.
        require(_info.lastBlockId == lastBlockId + _info.blocks.length, "DevnetInbox: batch does not follow the last one");

        BatchInfo memory info = _info;
        info.proposedIn = uint64(block.number);
        lastBlockId = info.lastBlockId;

        meta_ = BatchMetadata({
            infoHash: keccak256(abi.encode(info)),
            proposer: msg.sender,
            batchId: nextBatchId++,
            proposedAt: uint64(block.timestamp)
        });
        emit BatchProposed(info, meta_, _txList);
    }

    /// @notice Records one transition per batch; the caller stands in for the verifier contract.
    function proveBatches(uint64[] calldata _batchIds, Transition[] calldata _transitions) external {
        require(_batchIds.length > 0, "DevnetInbox: nothing to prove");
        require(_batchIds.length == _transitions.length, "DevnetInbox: one transition per batch");
        for (uint256 i; i < _batchIds.length; ++i) {
            uint64 id = _batchIds[i];
            require(id > 0 && id < nextBatchId, "DevnetInbox: unknown batch");
            require(!isProved[id], "DevnetInbox: batch already proved");
            isProved[id] = true;
        }
        emit BatchesProved(msg.sender, _batchIds, _transitions);
    }

    /// @notice Verifies every batch up to and including _lastBatchId; all of them must be proved.
    function verifyBatches(uint64 _lastBatchId, bytes32 _blockHash) external {
        require(_lastBatchId > lastVerifiedBatchId && _lastBatchId < nextBatchId, "DevnetInbox: bad batch id");
        for (uint64 id = lastVerifiedBatchId + 1; id <= _lastBatchId; ++id) {
            require(isProved[id], "DevnetInbox: batch not proved");
        }
        lastVerifiedBatchId = _lastBatchId;
        emit BatchesVerified(_lastBatchId, _blockHash);
    }
}
