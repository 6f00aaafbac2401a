import { keccak256, toBytes, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import {
  PROVED_WITH_CHECKPOINT_TOPIC,
  shastaEventTopics,
} from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { ANCHOR_V4_SELECTOR } from "../../../../lambdas/shared/taiko/decodeShastaL2Block.js";

/**
 * The declarations exactly as taikoxyz/taiko-mono writes them (whitespace joined onto one line),
 * with the file and commit each was read from. The expected topic0 is keccak256 of the canonical
 * signature derived here from that text, independently of the ABI the decoder uses.
 */
const COMMIT = "b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b";
const CORE = "packages/protocol/contracts/layer1/core";

const STRUCTS: Record<string, string> = {
  // `${CORE}/libs/LibBlobs.sol` @COMMIT
  BlobSlice: "struct BlobSlice { bytes32[] blobHashes; uint24 offset; uint48 timestamp; }",
  // `${CORE}/iface/IInbox.sol` @COMMIT (LibBlobs.BlobSlice in the source)
  DerivationSource: "struct DerivationSource { bool isForcedInclusion; LibBlobs.BlobSlice blobSlice; }",
  // `${CORE}/iface/IForcedInclusionStore.sol` @COMMIT
  ForcedInclusion: "struct ForcedInclusion { uint64 feeInGwei; LibBlobs.BlobSlice blobSlice; }",
  // packages/protocol/contracts/shared/signal/ICheckpointStore.sol @COMMIT
  Checkpoint: "struct Checkpoint { uint48 blockNumber; bytes32 blockHash; bytes32 stateRoot; }",
};

const EVENTS: readonly { file: string; commit: string; source: string }[] = [
  {
    file: `${CORE}/iface/IInbox.sol`,
    commit: COMMIT,
    source:
      "event Proposed( uint48 indexed id, address indexed proposer, bytes32 parentProposalHash, uint48 endOfSubmissionWindowTimestamp, uint8 basefeeSharingPctg, DerivationSource[] sources );",
  },
  {
    file: `${CORE}/iface/IInbox.sol`,
    commit: COMMIT,
    source:
      "event Proved( uint48 firstProposalId, uint48 firstNewProposalId, uint48 lastProposalId, address indexed actualProver );",
  },
  {
    file: `${CORE}/iface/IInbox.sol`,
    commit: COMMIT,
    source:
      "event StateRecovered( uint48 nextProposalId, uint48 lastFinalizedProposalId, bytes32 lastFinalizedBlockHash );",
  },
  {
    file: `${CORE}/iface/IInbox.sol`,
    commit: COMMIT,
    source: "event ForcedInclusionsVoided(uint48 oldHead, uint48 newHead);",
  },
  {
    file: `${CORE}/impl/Inbox.sol`,
    commit: COMMIT,
    source: "event InboxActivated(bytes32 lastPacayaBlockHash);",
  },
  {
    file: `${CORE}/iface/IForcedInclusionStore.sol`,
    commit: COMMIT,
    source: "event ForcedInclusionSaved(ForcedInclusion forcedInclusion);",
  },
  {
    file: `${CORE}/iface/IBondManager.sol`,
    commit: COMMIT,
    source: "event BondDeposited(address indexed depositor, address indexed recipient, uint64 amount);",
  },
  {
    file: `${CORE}/iface/IBondManager.sol`,
    commit: COMMIT,
    source: "event BondWithdrawn(address indexed account, uint64 amount);",
  },
  {
    file: `${CORE}/iface/IBondManager.sol`,
    commit: COMMIT,
    source: "event WithdrawalRequested(address indexed account, uint48 withdrawableAt);",
  },
  {
    file: `${CORE}/iface/IBondManager.sol`,
    commit: COMMIT,
    source: "event WithdrawalCancelled(address indexed account);",
  },
  {
    file: `${CORE}/iface/IBondManager.sol`,
    commit: COMMIT,
    source:
      "event LivenessBondSettled( address indexed payer, address indexed payee, uint64 livenessBond, uint64 credited, uint64 slashed );",
  },
];

const HOODI_PROVED = {
  file: `${CORE}/iface/IInbox.sol`,
  commit: "5eddb99144093e3da72c56e372c1009a2ac9c7c8",
  source:
    "event Proved( uint48 firstProposalId, uint48 firstNewProposalId, uint48 lastProposalId, address indexed actualProver, bool checkpointSynced );",
};

// packages/protocol/contracts/layer2/core/Anchor.sol @COMMIT
const ANCHOR_V4 = "function anchorV4(ICheckpointStore.Checkpoint calldata _checkpoint)";

/** `Name(type,…)` with parameter names, `indexed`/`calldata` dropped and structs expanded to tuples. */
function canonical(declaration: string): string {
  const m = /^(?:event|function)\s+(\w+)\s*\(([\s\S]*)\)/.exec(declaration.replace(/\)\s*;?\s*$/, ")"));
  if (!m) throw new Error(`not a declaration: ${declaration}`);
  const params = splitTop(m[2] ?? "").map((p) => canonicalType(p.trim().split(/\s+/)[0] ?? ""));
  return `${m[1]}(${params.join(",")})`;
}

function canonicalType(type: string): string {
  const arrays = type.match(/(\[\d*\])+$/)?.[0] ?? "";
  const base = (arrays ? type.slice(0, -arrays.length) : type).split(".").pop() ?? "";
  const struct = STRUCTS[base];
  if (!struct) return base + arrays;
  const fields = /\{([^}]*)\}/.exec(struct)?.[1] ?? "";
  const members = fields
    .split(";")
    .map((f) => f.trim())
    .filter((f) => f !== "")
    .map((f) => canonicalType(f.split(/\s+/)[0] ?? ""));
  return `(${members.join(",")})${arrays}`;
}

function splitTop(list: string): string[] {
  return list.trim() === "" ? [] : list.split(",");
}

const topic = (declaration: string) => keccak256(toBytes(canonical(declaration)));

describe("Shasta topic0 against the protocol source", () => {
  it("derives the canonical signature the EVM hashes", () => {
    // Prepare / Act
    const signature = canonical(EVENTS[0]?.source ?? "");

    // Assess: structs become tuples, names and `indexed` go (the ABI spec's event signature)
    expect(signature).toBe(
      "Proposed(uint48,address,bytes32,uint48,uint8,(bool,(bytes32[],uint24,uint48))[])",
    );
  });

  it.each(EVENTS)("$source ($file @$commit)", ({ source }) => {
    // Prepare
    const expected = topic(source);

    // Act / Assess: the decoder filters and decodes by exactly this topic0
    expect(shastaEventTopics).toContain(expected);
  });

  it("includes the Hoodi-era Proved with checkpointSynced under its own topic0", () => {
    // Prepare
    const expected = topic(HOODI_PROVED.source);

    // Act / Assess
    expect(PROVED_WITH_CHECKPOINT_TOPIC).toBe(expected);
    expect(shastaEventTopics).toContain(expected);
    expect(expected).not.toBe(topic(EVENTS[1]?.source ?? ""));
  });

  it("watches exactly these twelve topics, no more", () => {
    // Prepare
    const expected = [...EVENTS.map((e) => topic(e.source)), topic(HOODI_PROVED.source)].sort();

    // Act / Assess
    expect([...shastaEventTopics].sort()).toEqual(expected);
  });

  it("calls anchorV4 by the selector of the source's declaration", () => {
    // Prepare
    const expected = keccak256(toBytes(canonical(ANCHOR_V4))).slice(0, 10);

    // Act / Assess
    expect(canonical(ANCHOR_V4)).toBe("anchorV4((uint48,bytes32,bytes32))");
    expect(ANCHOR_V4_SELECTOR).toBe(expected);
    expect(toFunctionSelector("function anchorV4((uint48,bytes32,bytes32))")).toBe(expected);
  });
});
