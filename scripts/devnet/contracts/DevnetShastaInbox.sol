// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A stand-in for the Shasta Inbox proxy on a local L1. It emits the real Shasta events with
/// their real layouts (taikoxyz/taiko-mono at commit b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b: IInbox.sol,
/// Inbox.sol, IForcedInclusionStore.sol, IBondManager.sol, LibBlobs.sol), from one address as the
/// real inbox does, and keeps just enough state to refuse a story mainnet would never tell (a proof
/// that skips or re-finalizes, a proposal before activation, two proposals in one block). Written
/// for Tidemark's devnet, not derived from the protocol's code: no blobs, proofs, proposer checks or
/// access control.
contract DevnetShastaInbox {
    struct BlobSlice {
        bytes32[] blobHashes;
        uint24 offset;
        uint48 timestamp;
    }

    struct DerivationSource {
        bool isForcedInclusion;
        BlobSlice blobSlice;
    }

    struct ForcedInclusion {
        uint64 feeInGwei;
        BlobSlice blobSlice;
    }

    event Proposed(
        uint48 indexed id,
        address indexed proposer,
        bytes32 parentProposalHash,
        uint48 endOfSubmissionWindowTimestamp,
        uint8 basefeeSharingPctg,
        DerivationSource[] sources
    );
    event Proved(uint48 firstProposalId, uint48 firstNewProposalId, uint48 lastProposalId, address indexed actualProver);
    event StateRecovered(uint48 nextProposalId, uint48 lastFinalizedProposalId, bytes32 lastFinalizedBlockHash);
    event ForcedInclusionsVoided(uint48 oldHead, uint48 newHead);
    event InboxActivated(bytes32 lastPacayaBlockHash);
    event ForcedInclusionSaved(ForcedInclusion forcedInclusion);
    event BondDeposited(address indexed depositor, address indexed recipient, uint64 amount);
    event BondWithdrawn(address indexed account, uint64 amount);
    event WithdrawalRequested(address indexed account, uint48 withdrawableAt);
    event WithdrawalCancelled(address indexed account);
    event LivenessBondSettled(
        address indexed payer, address indexed payee, uint64 livenessBond, uint64 credited, uint64 slashed
    );

    uint8 public immutable basefeeSharingPctg;
    uint48 public immutable withdrawalDelay;

    /// @notice 0 until activate(); then the id the next proposal gets (the genesis proposal is 0).
    uint48 public nextProposalId;
    uint48 public lastFinalizedProposalId;
    uint48 public lastProposalBlock;
    /// @notice Devnet stand-in for the proposal hash ring buffer (keccak of the emitted fields).
    mapping(uint48 id => bytes32) public proposalHash;
    ForcedInclusion[] internal _queue;
    uint48 public queueHead;
    mapping(address => uint64) public bondBalance;

    constructor(uint8 _basefeeSharingPctg, uint48 _withdrawalDelay) {
        require(_basefeeSharingPctg <= 100, "DevnetShastaInbox: sharing above 100%");
        basefeeSharingPctg = _basefeeSharingPctg;
        withdrawalDelay = _withdrawalDelay;
    }

    /// @notice As Inbox.activate: emits the genesis Proposed (id 0, no source) and InboxActivated.
    function activate(bytes32 _lastPacayaBlockHash) external {
        require(_lastPacayaBlockHash != 0, "DevnetShastaInbox: no Pacaya block hash");
        require(nextProposalId <= 1, "DevnetShastaInbox: already proposing");
        nextProposalId = 1;
        proposalHash[0] = keccak256(abi.encode(uint48(0)));
        emit Proposed(0, address(0), bytes32(0), 0, 0, new DerivationSource[](0));
        emit InboxActivated(_lastPacayaBlockHash);
    }

    /// @notice Proposes the oldest `_numForcedInclusions` queued inclusions, then the proposer's own
    /// source last, as Inbox._buildProposal orders them. The slice's timestamp is this block's.
    function propose(
        uint48 _endOfSubmissionWindowTimestamp,
        bytes32[] calldata _blobHashes,
        uint24 _offset,
        uint16 _numForcedInclusions
    ) external {
        require(nextProposalId > 0, "DevnetShastaInbox: not activated");
        require(block.number > lastProposalBlock, "DevnetShastaInbox: one proposal per block");
        require(_numForcedInclusions <= _queue.length - queueHead, "DevnetShastaInbox: not that many queued");
        DerivationSource[] memory sources = new DerivationSource[](uint256(_numForcedInclusions) + 1);
        for (uint256 i; i < _numForcedInclusions; ++i) {
            sources[i] = DerivationSource(true, _queue[queueHead + i].blobSlice);
        }
        queueHead += _numForcedInclusions;
        sources[_numForcedInclusions] = DerivationSource(false, BlobSlice(_blobHashes, _offset, uint48(block.timestamp)));

        uint48 id = nextProposalId++;
        bytes32 parent = proposalHash[id - 1];
        proposalHash[id] = keccak256(abi.encode(id, msg.sender, parent, sources));
        lastProposalBlock = uint48(block.number);
        emit Proposed(id, msg.sender, parent, _endOfSubmissionWindowTimestamp, basefeeSharingPctg, sources);
    }

    /// @notice Finalizes `_firstProposalId … _lastProposalId`; the range may start inside the
    /// finalized part, as Inbox.prove allows, and must advance it by at least one proposal.
    function prove(uint48 _firstProposalId, uint48 _lastProposalId, address _actualProver) external {
        uint48 firstNew = lastFinalizedProposalId + 1;
        require(_firstProposalId <= firstNew, "DevnetShastaInbox: gap before the proof");
        require(_lastProposalId < nextProposalId, "DevnetShastaInbox: proves an unproposed proposal");
        require(_lastProposalId >= firstNew, "DevnetShastaInbox: nothing new to finalize");
        lastFinalizedProposalId = _lastProposalId;
        emit Proved(_firstProposalId, firstNew, _lastProposalId, _actualProver);
    }

    /// @notice As Inbox.saveForcedInclusion: the fee is what was paid, in gwei.
    function saveForcedInclusion(bytes32[] calldata _blobHashes, uint24 _offset) external payable {
        require(nextProposalId > 1, "DevnetShastaInbox: no proposal yet");
        ForcedInclusion memory inclusion =
            ForcedInclusion(uint64(msg.value / 1 gwei), BlobSlice(_blobHashes, _offset, uint48(block.timestamp)));
        _queue.push(inclusion);
        emit ForcedInclusionSaved(inclusion);
    }

    /// @notice As Inbox.init2 (incident recovery): resets finalization, keeps the next proposal id.
    function recoverState(uint48 _lastFinalizedProposalId, bytes32 _lastFinalizedBlockHash) external {
        require(_lastFinalizedProposalId < nextProposalId, "DevnetShastaInbox: unknown proposal");
        lastFinalizedProposalId = _lastFinalizedProposalId;
        emit StateRecovered(nextProposalId, _lastFinalizedProposalId, _lastFinalizedBlockHash);
    }

    /// @notice As Inbox.init3 (Unzen): voids every queued forced inclusion.
    function voidForcedInclusions() external {
        uint48 oldHead = queueHead;
        queueHead = uint48(_queue.length);
        emit ForcedInclusionsVoided(oldHead, queueHead);
    }

    function deposit(uint64 _amount) external {
        depositTo(msg.sender, _amount);
    }

    function depositTo(address _recipient, uint64 _amount) public {
        bondBalance[_recipient] += _amount;
        emit BondDeposited(msg.sender, _recipient, _amount);
    }

    function withdraw(uint64 _amount) external {
        require(bondBalance[msg.sender] >= _amount, "DevnetShastaInbox: bond too small");
        bondBalance[msg.sender] -= _amount;
        emit BondWithdrawn(msg.sender, _amount);
    }

    function requestWithdrawal() external {
        emit WithdrawalRequested(msg.sender, uint48(block.timestamp) + withdrawalDelay);
    }

    function cancelWithdrawal() external {
        emit WithdrawalCancelled(msg.sender);
    }

    /// @notice A late proof's liveness bond: half credited to the prover, half burned (Derivation.md).
    function settleLivenessBond(address _payer, address _payee, uint64 _livenessBond) external {
        uint64 debited = bondBalance[_payer] < _livenessBond ? bondBalance[_payer] : _livenessBond;
        bondBalance[_payer] -= debited;
        uint64 credited = debited / 2;
        bondBalance[_payee] += credited;
        emit LivenessBondSettled(_payer, _payee, _livenessBond, credited, debited - credited);
    }
}
