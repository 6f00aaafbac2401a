import { type Hex, hexToBytes, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { bloomBits, createBloomFilter } from "../../../lambdas/ingestor/logBloom.js";

const ADDRESS: Hex = "0x00000000000000000000000000000000007a1de0";
const OTHER_ADDRESS: Hex = "0x000000000000000000000000000000000000beef";
const TOPIC: Hex = keccak256(toHex("BatchesVerified(uint64,bytes32)"));
const OTHER_TOPIC: Hex = keccak256(toHex("BatchProposed()"));

/** The yellow paper's rule written out plainly: every bit of the value's three is set in the bloom bytes. */
function referenceMayContain(bloom: Hex, value: Hex): boolean {
  const bytes = hexToBytes(bloom);
  const hash = hexToBytes(keccak256(value));
  return [0, 2, 4].every((i) => {
    const bit = (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 2047;
    return ((bytes[255 - Math.floor(bit / 8)] as number) & (1 << (bit % 8))) !== 0;
  });
}

function bloomOf(values: readonly Hex[]): Hex {
  const bytes = new Uint8Array(256);
  for (const value of values) {
    for (const { byte, mask } of bloomBits(value)) bytes[byte] = (bytes[byte] as number) | mask;
  }
  return toHex(bytes);
}

describe("createBloomFilter", () => {
  const mayHoldLogs = createBloomFilter({ addresses: [ADDRESS], eventTopics: [TOPIC, OTHER_TOPIC] });

  it("allows a block whose bloom holds a watched address and one of the watched topics", () => {
    expect(mayHoldLogs(bloomOf([ADDRESS, TOPIC]))).toBe(true);
    expect(mayHoldLogs(bloomOf([ADDRESS, OTHER_TOPIC]))).toBe(true);
    // Upper-case hex (as some nodes answer) reads the same.
    expect(mayHoldLogs(bloomOf([ADDRESS, TOPIC]).toUpperCase().replace("0X", "0x") as Hex)).toBe(true);
  });

  it("rules out a block with the address but none of the topics, the topic but another address, or nothing", () => {
    expect(mayHoldLogs(bloomOf([ADDRESS]))).toBe(false);
    expect(mayHoldLogs(bloomOf([OTHER_ADDRESS, TOPIC]))).toBe(false);
    expect(mayHoldLogs(`0x${"00".repeat(256)}`)).toBe(false);
    expect(mayHoldLogs(`0x${"ff".repeat(256)}`)).toBe(true);
  });

  it("agrees with the plain byte-array reading on random blooms", () => {
    // Prepare: dense random blooms, so that both answers occur often
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const blooms = Array.from({ length: 300 }, () =>
      toHex(Uint8Array.from({ length: 256 }, () => Math.floor(random() * 256) | Math.floor(random() * 256))),
    );

    // Act / Assess
    let allowed = 0;
    for (const bloom of blooms) {
      const expected =
        referenceMayContain(bloom, ADDRESS) &&
        (referenceMayContain(bloom, TOPIC) || referenceMayContain(bloom, OTHER_TOPIC));
      expect(mayHoldLogs(bloom)).toBe(expected);
      if (expected) allowed++;
    }
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(blooms.length);
  });

  it("refuses a bloom that is not 256 bytes of hex, naming what it got", () => {
    expect(() => mayHoldLogs(`0x${"00".repeat(255)}`)).toThrow(/256 bytes of hex, got 512 characters/);
    expect(() => mayHoldLogs(`0x${"zz".repeat(256)}` as Hex)).toThrow(/256 bytes of hex/);
  });
});
