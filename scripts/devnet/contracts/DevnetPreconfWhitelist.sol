// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The devnet's PreconfWhitelist: the storage, events, views and operator draw of taiko-mono's
/// packages/protocol/contracts/layer1/preconf/impl/PreconfWhitelist.sol at
/// b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b (with LibPreconfUtils / LibPreconfConstants inlined),
/// without the upgradeable EssentialContract base (the deployer owns it) or the ejecters.
/// Two departures, both for a local chain: the beacon roots come from `beaconRoots` (a devnet
/// contract, DevnetBeaconRoots below) instead of the EIP-4788 address, whose roots anvil leaves zero;
/// and the constructor can seed operators as already active (a whitelist that ran before the devnet).
contract DevnetPreconfWhitelist {
    struct OperatorInfo {
        uint32 activeSince;
        uint32 deprecatedInactiveSince;
        uint8 index;
        address sequencerAddress;
    }

    event OperatorAdded(address indexed proposer, address indexed sequencer, uint256 activeSince);
    event OperatorRemoved(address indexed proposer, address indexed sequencer, uint256 inactiveSince);

    uint8 public constant OPERATOR_CHANGE_DELAY = 2;
    uint8 public constant RANDOMNESS_DELAY = 2;
    uint256 internal constant SECONDS_IN_SLOT = 12;
    uint256 internal constant SECONDS_IN_EPOCH = SECONDS_IN_SLOT * 32;
    uint256 private constant _MAX_QUERIES = 32;

    mapping(address proposer => OperatorInfo info) public operators;
    mapping(uint256 index => address proposer) public operatorMapping;
    uint8 public operatorCount;
    uint32 public latestActivationEpoch;

    address public immutable owner;
    address public immutable beaconRoots;

    constructor(address _beaconRoots, address[] memory _proposers, address[] memory _sequencers) {
        require(_proposers.length == _sequencers.length, "lengths");
        owner = msg.sender;
        beaconRoots = _beaconRoots;
        uint32 now_ = epochStartTimestamp(0);
        for (uint256 i; i < _proposers.length; ++i) {
            _addOperator(_proposers[i], _sequencers[i], now_);
        }
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "owner");
        _;
    }

    function addOperator(address _proposer, address _sequencer) external onlyOwner {
        _addOperator(_proposer, _sequencer, epochStartTimestamp(OPERATOR_CHANGE_DELAY));
    }

    function removeOperator(uint256 _operatorIndex) external onlyOwner {
        require(_operatorIndex < operatorCount, "index");
        _removeOperator(operatorMapping[_operatorIndex]);
    }

    function getOperatorForCurrentEpoch() public view returns (address) {
        return _getOperatorForEpoch(epochStartTimestamp(0));
    }

    function getOperatorForNextEpoch() external view returns (address) {
        return _getOperatorForEpoch(epochStartTimestamp(1));
    }

    function isOperatorActive(address _proposer, uint32 _epochTimestamp) public view returns (bool) {
        uint32 activeSince = operators[_proposer].activeSince;
        return activeSince != 0 && _epochTimestamp >= activeSince;
    }

    /// LibPreconfUtils.getEpochTimestamp: the beacon genesis of an unknown chain id is 0.
    function epochStartTimestamp(uint256 _offset) public view returns (uint32) {
        return uint32((block.timestamp / SECONDS_IN_EPOCH) * SECONDS_IN_EPOCH + _offset * SECONDS_IN_EPOCH);
    }

    function _addOperator(address _proposer, address _sequencer, uint32 _activeSince) internal {
        require(_proposer != address(0) && _sequencer != address(0), "address");
        OperatorInfo storage info = operators[_proposer];
        require(info.activeSince == 0, "exists");
        uint8 idx = operatorCount;
        info.index = idx;
        operatorMapping[idx] = _proposer;
        operatorCount = idx + 1;
        info.activeSince = _activeSince;
        info.sequencerAddress = _sequencer;
        latestActivationEpoch = _activeSince;
        emit OperatorAdded(_proposer, _sequencer, _activeSince);
    }

    function _removeOperator(address _proposer) internal {
        require(operatorCount > 1, "last");
        OperatorInfo storage info = operators[_proposer];
        require(info.sequencerAddress != address(0), "address");
        address sequencer = info.sequencerAddress;
        uint8 index = info.index;
        uint8 lastIndex = operatorCount - 1;
        if (index != lastIndex) {
            address lastProposer = operatorMapping[lastIndex];
            operatorMapping[index] = lastProposer;
            operators[lastProposer].index = index;
        }
        delete operatorMapping[lastIndex];
        delete operators[_proposer];
        operatorCount = lastIndex;
        emit OperatorRemoved(_proposer, sequencer, block.timestamp);
    }

    function _getOperatorForEpoch(uint32 _epochTimestamp) internal view returns (address) {
        uint256 delaySeconds = RANDOMNESS_DELAY * SECONDS_IN_EPOCH;
        uint256 ts = uint256(_epochTimestamp);
        uint32 randomnessTs = uint32(ts >= delaySeconds ? ts - delaySeconds : ts);
        uint256 count_ = operatorCount;
        if (count_ == 0) return address(0);
        uint256 randomNumber = uint256(_beaconBlockRootAtOrAfter(randomnessTs));
        if (_epochTimestamp >= latestActivationEpoch) {
            return operatorMapping[randomNumber % count_];
        }
        address[] memory candidates = new address[](count_);
        uint256 count;
        for (uint256 i; i < count_; ++i) {
            address operator = operatorMapping[i];
            if (isOperatorActive(operator, _epochTimestamp)) candidates[count++] = operator;
        }
        if (count == 0) return address(0);
        return candidates[randomNumber % count];
    }

    /// LibPreconfUtils.getBeaconBlockRootAtOrAfter, against `beaconRoots`.
    function _beaconBlockRootAtOrAfter(uint256 timestamp) internal view returns (bytes32) {
        timestamp = timestamp + SECONDS_IN_SLOT;
        for (uint256 i; i < _MAX_QUERIES && timestamp <= block.timestamp; ++i) {
            (bool ok, bytes memory result) = beaconRoots.staticcall(abi.encode(timestamp));
            if (ok && result.length > 0) {
                bytes32 root = abi.decode(result, (bytes32));
                if (root != 0) return root;
            }
            timestamp += SECONDS_IN_SLOT;
        }
        return bytes32(0);
    }
}

/// The devnet's stand-in for the EIP-4788 beacon roots contract: a root for every slot time (a hash of it).
contract DevnetBeaconRoots {
    fallback(bytes calldata input) external returns (bytes memory) {
        return abi.encode(keccak256(abi.encodePacked("devnet beacon root", abi.decode(input, (uint256)))));
    }
}
