import { type Hex, hexToBytes, keccak256 } from "viem";

/**
 * Ethereum's 2048-bit log bloom (yellow paper §4.3.1): each address and topic sets three bits, taken from
 * the low 11 bits of the first three byte pairs of its keccak-256. A clear bit proves absence; set bits
 * only suggest presence.
 */
export function bloomMayContain(bloom: Hex, value: Hex): boolean {
  const bytes = hexToBytes(bloom);
  if (bytes.length !== 256) throw new Error(`a logs bloom is 256 bytes, got ${bytes.length}`);
  return bloomBits(value).every(({ byte, mask }) => ((bytes[byte] as number) & mask) !== 0);
}

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

/** True when the block's bloom allows a log from one of the addresses with one of the topics. */
export function bloomMayHoldLogs(bloom: Hex, { addresses, eventTopics }: BloomFilterParameters): boolean {
  return (
    addresses.some((address) => bloomMayContain(bloom, address)) &&
    eventTopics.some((topic) => bloomMayContain(bloom, topic))
  );
}
