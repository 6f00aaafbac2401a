// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Records the Merkle roots of Tidemark ingest commitments: one root per
/// (stream, fromSequence, toSequence). Anchoring the same root again is a no-op (a re-sent
/// anchor after a reorg, or a retry); a different root for a range already anchored reverts,
/// so a recorded history cannot be rewritten.
contract AnchorRegistry {
    address public immutable owner;
    mapping(bytes32 => bytes32) private roots;

    event Anchored(bytes32 indexed rangeKey, string stream, uint64 fromSequence, uint64 toSequence, bytes32 root);

    error NotOwner();
    error BadRange();
    error RootConflict(bytes32 existing);

    constructor() {
        owner = msg.sender;
    }

    function rangeKey(string calldata stream, uint64 fromSequence, uint64 toSequence) public pure returns (bytes32) {
        return keccak256(abi.encode(stream, fromSequence, toSequence));
    }

    function anchor(string calldata stream, uint64 fromSequence, uint64 toSequence, bytes32 root) external {
        if (msg.sender != owner) revert NotOwner();
        if (fromSequence == 0 || toSequence < fromSequence || root == bytes32(0)) revert BadRange();
        bytes32 key = rangeKey(stream, fromSequence, toSequence);
        bytes32 existing = roots[key];
        if (existing != bytes32(0) && existing != root) revert RootConflict(existing);
        roots[key] = root;
        emit Anchored(key, stream, fromSequence, toSequence, root);
    }

    function rootOf(string calldata stream, uint64 fromSequence, uint64 toSequence) external view returns (bytes32) {
        return roots[rangeKey(stream, fromSequence, toSequence)];
    }
}
