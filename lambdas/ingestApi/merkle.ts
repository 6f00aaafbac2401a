import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonicalJson.js";
import type { ReceiptBody } from "./receipts.js";

/**
 * The Merkle tree of a commitment is RFC 6962 / RFC 9162 §2.1 (Certificate Transparency), SHA-256:
 *   leaf  = SHA-256(0x00 ‖ canonicalJson(receipt body))     (the five receipt fields, RFC 8785)
 *   node  = SHA-256(0x01 ‖ left ‖ right)
 *   MTH(D[0:n]) splits at k, the largest power of two below n (no duplicated odd leaf, so no
 *   CVE-2012-2459-style second preimage), and the leaves are the events of one stream in sequence
 *   order, fromSequence … toSequence, none missing.
 * The 0x00/0x01 prefixes keep a leaf from ever being read as a node. Any CT verifier checks our proofs.
 */
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(body: ReceiptBody): Uint8Array {
  const { stream, sequence, eventId, payloadSha256, acceptedAt } = body;
  return sha256(
    concatBytes(LEAF, utf8ToBytes(canonicalJson({ stream, sequence, eventId, payloadSha256, acceptedAt }))),
  );
}

const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(concatBytes(NODE, left, right));

/** Largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = splitPoint(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** Root (hex) over leaf hashes in order. At least one leaf: a commitment never covers an empty range. */
export function merkleRoot(leaves: readonly Uint8Array[]): string {
  if (leaves.length === 0) throw new RangeError("a Merkle root needs at least one leaf");
  return bytesToHex(treeHash(leaves));
}

/** RFC 6962 audit path of leaf `index`, bottom-up, as hex. */
export function inclusionPath(leaves: readonly Uint8Array[], index: number): string[] {
  if (!(index >= 0 && index < leaves.length))
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  const path: Uint8Array[] = [];
  const walk = (part: readonly Uint8Array[], m: number): void => {
    if (part.length <= 1) return;
    const k = splitPoint(part.length);
    if (m < k) {
      walk(part.slice(0, k), m);
      path.push(treeHash(part.slice(k)));
    } else {
      walk(part.slice(k), m - k);
      path.push(treeHash(part.slice(0, k)));
    }
  };
  walk(leaves, index);
  return path.map(bytesToHex);
}

export interface VerifyInclusionParameters {
  readonly leaf: Uint8Array;
  /** Position of the leaf in the tree: sequence − fromSequence. */
  readonly index: number;
  /** Leaves in the tree: toSequence − fromSequence + 1. */
  readonly size: number;
  readonly path: readonly string[];
  readonly root: string;
}

/** RFC 9162 §2.1.3.2 inclusion verification. Never throws on malformed input; false instead. */
export function verifyInclusion({ leaf, index, size, path, root }: VerifyInclusionParameters): boolean {
  try {
    if (!(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size)) return false;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const hex of path) {
      const p = hexToBytes(hex);
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && bytesToHex(r) === root.toLowerCase().replace(/^0x/, "");
  } catch {
    return false;
  }
}
