import { encodeFunctionData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  decodeShastaExtraData,
  decodeShastaL2Block,
  type ShastaL2BlockInput,
} from "../../../../lambdas/shared/taiko/decodeShastaL2Block.js";
import { mainnet } from "../../../../lambdas/shared/taiko/networks.js";
import { ShastaL2BlockDecodeError } from "../../../../lambdas/shared/taiko/ShastaDecodeError.js";
import { shastaAnchorAbi } from "../../../../lambdas/shared/taiko/shastaAbi.js";
import { h } from "./helpers.js";

// Anchor.GOLDEN_TOUCH_ADDRESS as the source writes it (checksummed).
const GOLDEN_TOUCH = "0x0000777735367b36bC9B61C50022d9D0700dB4Ec";
const ANCHOR = "0x1670000000000000000000000000000000010001";

function l2Block(
  overrides: Partial<ShastaL2BlockInput> = {},
  checkpoint = { blockNumber: 24_500_123, blockHash: h("A1"), stateRoot: h("5E") },
): ShastaL2BlockInput {
  return {
    number: 2_000_001n,
    hash: h("D0"),
    // byte 0: 75 % base-fee sharing; bytes 1..6: proposal 0x0000_0001_2345 big-endian
    extraData: "0x4b000000012345",
    transactions: [
      {
        hash: h("AA"),
        from: GOLDEN_TOUCH,
        to: ANCHOR,
        input: encodeFunctionData({ abi: shastaAnchorAbi, functionName: "anchorV4", args: [checkpoint] }),
      },
      { hash: h("AB"), from: "0x1111111111111111111111111111111111111111", to: ANCHOR, input: "0x" },
    ],
    ...overrides,
  };
}

function caught(fn: () => unknown): ShastaL2BlockDecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ShastaL2BlockDecodeError);
    return error as ShastaL2BlockDecodeError;
  }
  throw new Error("expected a ShastaL2BlockDecodeError");
}

describe("decodeShastaL2Block", () => {
  it("reads the proposal id and sharing % from extraData and the anchored L1 block from anchorV4", () => {
    // Prepare
    const block = l2Block();

    // Act
    const link = decodeShastaL2Block({ block, anchorAddress: mainnet.l2Anchor });

    // Assess
    expect(link).toEqual({
      blockNumber: 2_000_001,
      blockHash: h("d0"),
      basefeeSharingPctg: 75,
      proposalId: 0x12345,
      anchor: { txHash: h("aa"), l1BlockNumber: 24_500_123, l1BlockHash: h("a1"), l1StateRoot: h("5e") },
    });
  });

  it("decodes the largest uint48 proposal id", () => {
    // Prepare / Act
    const header = decodeShastaExtraData("0x00ffffffffffff");

    // Assess
    expect(header).toEqual({ basefeeSharingPctg: 0, proposalId: 2 ** 48 - 1 });
  });

  it.each([
    ["a Pacaya-style 32-byte extraData", { extraData: `0x${"00".repeat(32)}` as Hex }, "32 bytes"],
    ["an empty extraData", { extraData: "0x" as Hex }, "0 bytes"],
    ["no transactions", { transactions: [] }, "no transactions"],
    ["transaction hashes only", { transactions: [h("AA")] }, "without full transactions"],
  ])("refuses %s", (_, overrides, reason) => {
    // Prepare
    const block = l2Block(overrides);

    // Act
    const error = caught(() => decodeShastaL2Block({ block, anchorAddress: ANCHOR }));

    // Assess: permanent, naming the block
    expect(error.retryable).toBe(false);
    expect(error.reason).toContain(reason);
    expect(error.context).toMatchObject({ blockNumber: 2_000_001, blockHash: h("D0") });
  });

  it("refuses a first transaction that is not the golden-touch anchorV4 call", () => {
    // Prepare
    const base = l2Block();
    const anchorTx = base.transactions[0] as Exclude<ShastaL2BlockInput["transactions"][number], Hex>;
    const cases = [
      {
        tx: { ...anchorTx, to: "0x2222222222222222222222222222222222222222" as Hex },
        reason: "not the anchor",
      },
      {
        tx: { ...anchorTx, from: "0x1111111111111111111111111111111111111111" as Hex },
        reason: "golden-touch",
      },
      { tx: { ...anchorTx, input: `0xdeadbeef${anchorTx.input.slice(10)}` as Hex }, reason: "not anchorV4" },
      { tx: { ...anchorTx, input: anchorTx.input.slice(0, 40) as Hex }, reason: "does not decode" },
    ];

    for (const { tx, reason } of cases) {
      // Act
      const error = caught(() =>
        decodeShastaL2Block({ block: { ...base, transactions: [tx] }, anchorAddress: ANCHOR }),
      );

      // Assess
      expect(error.reason).toContain(reason);
    }
  });
});
