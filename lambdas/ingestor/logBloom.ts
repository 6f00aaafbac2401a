import { type Hex, hexToBytes, keccak256 } from "viem";

/*
 * Ethereum's 2048-bit log bloom (yellow paper §4.3.1): each address and topic sets three bits, taken from
 * the low 11 bits of the first three byte pairs of its keccak-256. A clear bit proves absence; set bits
 * only suggest presence.
 */

/** The three bits a value sets: byte index in the 256-byte bloom (big-endian) and the mask within it. */
export function bloomBits(value: Hex): { byte: number; mask: number }[] {
  const hash = hexToBytes(keccak256(value));
  return [0, 2, 4].map((i) => {
    const bit = (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 2047;
    return { byte: 255 - Math.floor(bit / 8), mask: 1 << (bit % 8) };
  });
}

export interface BloomFilterParameters {
  readonly addresses: readonly Hex[];
  /** topic0 alternatives. */
  readonly eventTopics: readonly Hex[];
}

/**
 * A test of blooms: true when the block's bloom allows a log from one of the addresses with one of the
 * topics. The values' bits are hashed once (a range tests thousands of blooms against the same few
 * addresses and topics) and each bloom is read in place, as hex.
 */
export function createBloomFilter({
  addresses,
  eventTopics,
}: BloomFilterParameters): (bloom: Hex) => boolean {
  const addressBits = addresses.map(bloomBits);
  const topicBits = eventTopics.map(bloomBits);
  return (bloom) => {
    const checked = checkedBloom(bloom);
    return (
      addressBits.some((bits) => bitsSet(checked, bits)) && topicBits.some((bits) => bitsSet(checked, bits))
    );
  };
}

const BLOOM_HEX = /^0x[0-9a-fA-F]{512}$/;

function checkedBloom(bloom: Hex): Hex {
  if (!BLOOM_HEX.test(bloom)) {
    throw new Error(
      `a logs bloom is 256 bytes of hex, got ${bloom.length} characters: ${bloom.slice(0, 20)}…`,
    );
  }
  return bloom;
}

/** Byte `byte` of the bloom is hex characters 2 + 2·byte and the next (after "0x"). */
const bitsSet = (bloom: Hex, bits: readonly { byte: number; mask: number }[]): boolean =>
  bits.every(({ byte, mask }) => (Number.parseInt(bloom.slice(2 + 2 * byte, 4 + 2 * byte), 16) & mask) !== 0);
