import { parseAbi } from "viem";

/**
 * Typed ABI of the functions a devnet driver calls on contracts/DevnetShastaInbox.sol. The events
 * are not repeated here: they are read with lambdas/shared/taiko/shastaAbi.ts, like mainnet logs.
 * A test checks these selectors against solc's output.
 */
export const devnetShastaInboxAbi = parseAbi([
  "constructor(uint8 basefeeSharingPctg, uint48 withdrawalDelay)",
  "function activate(bytes32 lastPacayaBlockHash)",
  "function propose(uint48 endOfSubmissionWindowTimestamp, bytes32[] blobHashes, uint24 offset, uint16 numForcedInclusions)",
  "function prove(uint48 firstProposalId, uint48 lastProposalId, address actualProver)",
  "function saveForcedInclusion(bytes32[] blobHashes, uint24 offset) payable",
  "function recoverState(uint48 lastFinalizedProposalId, bytes32 lastFinalizedBlockHash)",
  "function voidForcedInclusions()",
  "function deposit(uint64 amount)",
  "function depositTo(address recipient, uint64 amount)",
  "function withdraw(uint64 amount)",
  "function requestWithdrawal()",
  "function cancelWithdrawal()",
  "function settleLivenessBond(address payer, address payee, uint64 livenessBond)",
  "function basefeeSharingPctg() view returns (uint8)",
  "function withdrawalDelay() view returns (uint48)",
  "function nextProposalId() view returns (uint48)",
  "function lastFinalizedProposalId() view returns (uint48)",
  "function lastProposalBlock() view returns (uint48)",
  "function proposalHash(uint48 id) view returns (bytes32)",
  "function queueHead() view returns (uint48)",
  "function bondBalance(address account) view returns (uint64)",
]);
