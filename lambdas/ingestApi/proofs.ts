import { ed25519 } from "@noble/curves/ed25519.js";
import { hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonicalJson.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { type ReceiptSigner, type SignedReceipt, verifyReceipt } from "./receipts.js";

/** A signed Merkle root over events fromSequence … toSequence of one stream (scheme: merkle.ts). */
export interface CommitmentBody {
  readonly stream: string;
  readonly fromSequence: number;
  readonly toSequence: number;
  /** Hex SHA-256 Merkle root. */
  readonly root: string;
  readonly committedAt: string;
}

/** Where a commitment's root is recorded on chain. */
export interface Anchor {
  readonly chainId: number;
  readonly registry: string;
  readonly txHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
}

export interface Commitment extends CommitmentBody {
  readonly publicKey: string;
  readonly signature: string;
  readonly anchor?: Anchor;
}

/** What GET /v1/proofs/:eventId serves; verifiable offline with verifyProof, on chain with verifyAnchored. */
export interface InclusionProof {
  readonly receipt: SignedReceipt;
  readonly commitment: Commitment;
  /** sequence − fromSequence. */
  readonly leafIndex: number;
  /** toSequence − fromSequence + 1. */
  readonly treeSize: number;
  /** RFC 6962 audit path, bottom-up, hex. */
  readonly path: readonly string[];
}

/** Domain separation from receipts: a receipt signature can never pass as a commitment's. */
const COMMITMENT_DOMAIN = "tidemark-commitment-v1\n";

export function commitmentMessage(body: CommitmentBody): Uint8Array {
  const { stream, fromSequence, toSequence, root, committedAt } = body;
  return utf8ToBytes(
    COMMITMENT_DOMAIN + canonicalJson({ stream, fromSequence, toSequence, root, committedAt }),
  );
}

export function signCommitment(body: CommitmentBody, signer: ReceiptSigner): Commitment {
  const { stream, fromSequence, toSequence, root, committedAt } = body;
  return {
    stream,
    fromSequence,
    toSequence,
    root,
    committedAt,
    publicKey: signer.publicKeyHex,
    signature: signer.sign(commitmentMessage(body)),
  };
}

export function verifyCommitment(commitment: Commitment, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(
      hexToBytes(commitment.signature),
      commitmentMessage(commitment),
      hexToBytes(publicKeyHex),
    );
  } catch {
    return false;
  }
}

/**
 * Offline check of an inclusion proof: the receipt and the commitment are signed by the trusted key,
 * they name the same stream, the receipt's sequence lies in the range at leafIndex, and the audit
 * path leads from the receipt's leaf to the commitment's root. Returns what failed, empty when valid.
 */
export function verifyProof(proof: InclusionProof, publicKeyHex: string): string[] {
  const problems: string[] = [];
  const { receipt, commitment } = proof;
  if (!verifyReceipt(receipt, publicKeyHex)) problems.push("receipt signature does not verify");
  if (!verifyCommitment(commitment, publicKeyHex)) problems.push("commitment signature does not verify");
  if (receipt.stream !== commitment.stream) problems.push("receipt and commitment name different streams");
  if (receipt.sequence - commitment.fromSequence !== proof.leafIndex)
    problems.push("leafIndex does not match the sequence");
  if (commitment.toSequence - commitment.fromSequence + 1 !== proof.treeSize)
    problems.push("treeSize does not match the range");
  const included = verifyInclusion({
    leaf: leafHash(receipt),
    index: proof.leafIndex,
    size: proof.treeSize,
    path: proof.path,
    root: commitment.root,
  });
  if (!included) problems.push("the audit path does not lead to the commitment's root");
  return problems;
}
