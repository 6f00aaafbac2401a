import { concatHex, fromRlp, type Hex, keccak256, sha256, toRlp } from "viem";

/*
 * Blob-carrying L1 transactions without a KZG library (none is installed here): a blob of zeros is the
 * zero polynomial, whose KZG commitment and every opening proof are the G1 point at infinity (compressed:
 * 0xc0 then 47 zero bytes). anvil verifies sidecars with c-kzg and accepts it, and the transaction pays
 * blob gas (131,072 per blob × the blob base fee) like any other: what l1_tx_costs must record.
 */

/** The compressed G1 point at infinity: the commitment of the all-zero blob, and its proof. */
const INFINITY: Hex = `0xc0${"00".repeat(47)}`;
const ZERO_BLOB: Hex = `0x${"00".repeat(131_072)}`;

/** EIP-4844 kzg_to_versioned_hash: 0x01 ‖ sha256(commitment)[1:]. */
export const ZERO_BLOB_VERSIONED_HASH: Hex = `0x01${sha256(INFINITY).slice(4)}`;

/** `count` zero blobs as viem sidecars, with their versioned hashes. */
export function zeroBlobSidecars(count: number): {
  readonly sidecars: { blob: Hex; commitment: Hex; proof: Hex }[];
  readonly blobVersionedHashes: Hex[];
} {
  return {
    sidecars: Array.from({ length: count }, () => ({
      blob: ZERO_BLOB,
      commitment: INFINITY,
      proof: INFINITY,
    })),
    blobVersionedHashes: Array.from({ length: count }, () => ZERO_BLOB_VERSIONED_HASH),
  };
}

/**
 * A signed transaction's hash. A blob transaction travels in its network form, 0x03 ‖ rlp([tx, blobs,
 * commitments, proofs]); its hash covers only 0x03 ‖ rlp(tx) (EIP-4844), not the sidecar.
 */
export function txHashOf(raw: Hex): Hex {
  if (!raw.startsWith("0x03")) return keccak256(raw);
  const wrapper = fromRlp(`0x${raw.slice(4)}`) as unknown[];
  const body = wrapper[0];
  if (!Array.isArray(body)) return keccak256(raw);
  return keccak256(concatHex(["0x03", toRlp(body as Hex[])]));
}
