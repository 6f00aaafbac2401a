import { parseAbi } from "viem";

/**
 * The Shasta-era protocol ABIs, written from taikoxyz/taiko-mono's own source (never copied from
 * generated bindings). Unless a line says otherwise, every item was read at commit
 * b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b (main, 2026-08-21) and is unchanged since the mainnet
 * deployment commit 3c66b0f8d3a6df4a213e23fb8cc8260f323235d0 (2026-03-04); docs/NETWORKS.md lists
 * each fact and where it was checked. Topic hashes follow from these signatures: a test pins each
 * topic0 to keccak256 of the signature as the source writes it.
 */
export const TAIKO_MONO_COMMIT = "b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b";

// One Shasta inbox proxy emits every L1 event below: Inbox is IInbox, IForcedInclusionStore and
// IBondManager at once (impl/Inbox.sol, `contract Inbox is IInbox, ICodec, IForcedInclusionStore,
// IBondManager, EssentialContract`), unlike Pacaya's separate wrapper and forced-inclusion store.
const structs = [
  // libs/LibBlobs.sol @b9c5bb2 — struct BlobSlice
  "struct BlobSlice { bytes32[] blobHashes; uint24 offset; uint48 timestamp; }",
  // iface/IInbox.sol @b9c5bb2 — struct DerivationSource
  "struct DerivationSource { bool isForcedInclusion; BlobSlice blobSlice; }",
  // iface/IForcedInclusionStore.sol @b9c5bb2 — struct ForcedInclusion
  "struct ForcedInclusion { uint64 feeInGwei; BlobSlice blobSlice; }",
] as const;

/** Events of the Shasta inbox proxy (packages/protocol/contracts/layer1/core). */
export const shastaInboxAbi = parseAbi([
  ...structs,
  // iface/IInbox.sol @b9c5bb2 — event Proposed
  "event Proposed(uint48 indexed id, address indexed proposer, bytes32 parentProposalHash, uint48 endOfSubmissionWindowTimestamp, uint8 basefeeSharingPctg, DerivationSource[] sources)",
  // iface/IInbox.sol @b9c5bb2 — event Proved (since a94ffd0226, 2026-01-19; the mainnet and Hoodi inboxes' layout)
  "event Proved(uint48 firstProposalId, uint48 firstNewProposalId, uint48 lastProposalId, address indexed actualProver)",
  // iface/IInbox.sol @b9c5bb2 — event StateRecovered (first on main in bcba1ff1b1; emitted by init2, Proposal0017, 2026-06-29)
  "event StateRecovered(uint48 nextProposalId, uint48 lastFinalizedProposalId, bytes32 lastFinalizedBlockHash)",
  // iface/IInbox.sol @b9c5bb2 — event ForcedInclusionsVoided (Unzen, eb11224c38; emitted by init3, Proposal0019, 2026-08-03)
  "event ForcedInclusionsVoided(uint48 oldHead, uint48 newHead)",
  // impl/Inbox.sol @b9c5bb2 — event InboxActivated (declared on the implementation, not on IInbox)
  "event InboxActivated(bytes32 lastPacayaBlockHash)",
  // iface/IForcedInclusionStore.sol @b9c5bb2 — event ForcedInclusionSaved (emitted by LibForcedInclusion from the inbox)
  "event ForcedInclusionSaved(ForcedInclusion forcedInclusion)",
  // iface/IBondManager.sol @b9c5bb2 — event BondDeposited (emitted by LibBonds from the inbox)
  "event BondDeposited(address indexed depositor, address indexed recipient, uint64 amount)",
  // iface/IBondManager.sol @b9c5bb2 — event BondWithdrawn
  "event BondWithdrawn(address indexed account, uint64 amount)",
  // iface/IBondManager.sol @b9c5bb2 — event WithdrawalRequested
  "event WithdrawalRequested(address indexed account, uint48 withdrawableAt)",
  // iface/IBondManager.sol @b9c5bb2 — event WithdrawalCancelled
  "event WithdrawalCancelled(address indexed account)",
  // iface/IBondManager.sol @b9c5bb2 — event LivenessBondSettled
  "event LivenessBondSettled(address indexed payer, address indexed payee, uint64 livenessBond, uint64 credited, uint64 slashed)",
]);

/**
 * The earlier `Proved` with a fifth `bool checkpointSynced` (another topic0), kept apart so its
 * args stay typed. iface/IInbox.sol @5eddb99144093e3da72c56e372c1009a2ac9c7c8 (2025-12-16) until
 * a94ffd02266dc7291c8758e621808eb05d36532c (2026-01-19) removed it.
 */
export const shastaProvedWithCheckpointAbi = parseAbi([
  "event Proved(uint48 firstProposalId, uint48 firstNewProposalId, uint48 lastProposalId, address indexed actualProver, bool checkpointSynced)",
]);

/** The L2 anchor contract (packages/protocol/contracts/layer2/core/Anchor.sol). */
export const shastaAnchorAbi = parseAbi([
  // shared/signal/ICheckpointStore.sol @b9c5bb2 — struct Checkpoint
  "struct Checkpoint { uint48 blockNumber; bytes32 blockHash; bytes32 stateRoot; }",
  // layer2/core/Anchor.sol @b9c5bb2 — anchorV4 (the same at tags taiko-alethia-protocol-v3.0.0 and v3.1.0)
  "function anchorV4(Checkpoint _checkpoint)",
  // layer2/core/Anchor.sol @b9c5bb2 — event Anchored
  "event Anchored(uint48 prevAnchorBlockNumber, uint48 anchorBlockNumber, bytes32 ancestorsHash)",
]);

/** Anchor.GOLDEN_TOUCH_ADDRESS (layer2/core/Anchor.sol @b9c5bb2): the only sender of anchorV4. */
export const GOLDEN_TOUCH_ADDRESS = "0x0000777735367b36bc9b61c50022d9d0700db4ec";

export type ShastaInboxEventName = Extract<(typeof shastaInboxAbi)[number], { type: "event" }>["name"];
