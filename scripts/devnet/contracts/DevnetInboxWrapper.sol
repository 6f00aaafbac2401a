// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ForcedInclusion} from "./TaikoInboxTypes.sol";

/// @notice A stand-in for Taiko's forced-inclusion inbox wrapper: it only emits the event the
/// wrapper emits when a proposal consumes a forced inclusion. No access control: devnet only.
contract DevnetInboxWrapper {
    event ForcedInclusionProcessed(ForcedInclusion);

    function processForcedInclusion(ForcedInclusion calldata _inclusion) external {
        emit ForcedInclusionProcessed(_inclusion);
    }

    /// @notice Emits a log with any data under a chosen topic0 (an inbox event's): the bad and absurd
    /// logs a chaos run feeds the ingestor. Devnet only.
    function emitRaw(bytes32 _topic0, bytes calldata _data) external {
        bytes memory data = _data;
        assembly {
            log1(add(data, 32), mload(data), _topic0)
        }
    }
}
