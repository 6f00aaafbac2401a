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
}
