import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonicalJson.js";

/** What a receipt states: this event was accepted as number `sequence` of `stream` at `acceptedAt`. */
export interface ReceiptBody {
  readonly stream: string;
  readonly sequence: number;
  readonly eventId: string;
  /** Hex SHA-256 of the payload's canonical JSON (RFC 8785, see canonicalJson.ts). */
  readonly payloadSha256: string;
  /** ISO 8601, UTC, millisecond precision. */
  readonly acceptedAt: string;
}

export interface SignedReceipt extends ReceiptBody {
  readonly alg: "ed25519";
  /** Hex of the signer's 32-byte public key (which key; trust comes from the key the verifier holds). */
  readonly publicKey: string;
  /** Hex Ed25519 signature over receiptMessage(body). */
  readonly signature: string;
}

/** Domain separation: a receipt signature can never be replayed as a commitment signature or vice versa. */
const RECEIPT_DOMAIN = "tidemark-receipt-v1\n";

export const payloadSha256 = (payload: unknown): string =>
  bytesToHex(sha256(utf8ToBytes(canonicalJson(payload))));

/** The signed bytes: domain tag then the canonical JSON of exactly the five body fields. */
export function receiptMessage(body: ReceiptBody): Uint8Array {
  const { stream, sequence, eventId, payloadSha256: digest, acceptedAt } = body;
  return utf8ToBytes(
    RECEIPT_DOMAIN + canonicalJson({ stream, sequence, eventId, payloadSha256: digest, acceptedAt }),
  );
}

export interface ReceiptSigner {
  readonly publicKeyHex: string;
  sign(message: Uint8Array): string;
}

/** An Ed25519 signer over a 32-byte secret key (@noble/curves: audited, pure JS, no native code). */
export function createReceiptSigner(secretKey: Uint8Array): ReceiptSigner {
  const publicKeyHex = bytesToHex(ed25519.getPublicKey(secretKey));
  return { publicKeyHex, sign: (message) => bytesToHex(ed25519.sign(message, secretKey)) };
}

export function signReceipt(body: ReceiptBody, signer: ReceiptSigner): SignedReceipt {
  const { stream, sequence, eventId, payloadSha256: digest, acceptedAt } = body;
  return {
    stream,
    sequence,
    eventId,
    payloadSha256: digest,
    acceptedAt,
    alg: "ed25519",
    publicKey: signer.publicKeyHex,
    signature: signer.sign(receiptMessage(body)),
  };
}

/**
 * Offline check of a receipt against the public key the verifier trusts (from GET /v1/keys, kept
 * beforehand): true only if the signature covers these exact field values. Never throws on bad input.
 */
export function verifyReceipt(receipt: SignedReceipt, publicKeyHex: string): boolean {
  try {
    if (receipt.alg !== "ed25519") return false;
    return ed25519.verify(hexToBytes(receipt.signature), receiptMessage(receipt), hexToBytes(publicKeyHex));
  } catch {
    return false;
  }
}
