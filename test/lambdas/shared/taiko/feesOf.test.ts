import { type Hex, numberToHex } from "viem";
import { describe, expect, it } from "vitest";
import { PipelineEventSchema } from "../../../../lambdas/shared/events.js";
import {
  basefeeSharingPctgOf,
  FeeDerivationError,
  l1TxCostOf,
  l2BlockFeesOf,
  type RpcReceipt,
} from "../../../../lambdas/shared/taiko/feesOf.js";
import { GOLDEN_TOUCH_ADDRESS } from "../../../../lambdas/shared/taiko/shastaAbi.js";

const ANCHOR = "0x1670000000000000000000000000000000010001" as Hex;
const BLOCK = `0x${"b".repeat(64)}` as Hex;
const USER = `0x${"1".repeat(40)}` as Hex;

function receipt(
  index: number,
  over: Partial<RpcReceipt> & { gas?: bigint; price?: bigint } = {},
): RpcReceipt {
  const { gas = 21_000n, price = 13n, ...rest } = over;
  return {
    transactionHash: `0x${index.toString(16).padStart(64, "0")}` as Hex,
    transactionIndex: numberToHex(index),
    blockHash: BLOCK,
    blockNumber: "0x10",
    from: USER,
    to: USER,
    gasUsed: numberToHex(gas),
    effectiveGasPrice: numberToHex(price),
    ...rest,
  };
}

const anchorReceipt = () =>
  receipt(0, { from: GOLDEN_TOUCH_ADDRESS as Hex, to: ANCHOR, gas: 1_000_000n, price: 10n });

const block = (receipts: RpcReceipt[], extraData: Hex = "0x4b000000000007", shasta = true) => ({
  number: 16,
  hash: BLOCK,
  timestamp: 1_800_000_000,
  baseFeePerGas: 10n,
  extraData,
  shasta,
  receipts,
  anchorAddress: ANCHOR,
});

describe("basefeeSharingPctgOf", () => {
  it("reads Shasta's byte 0 and Pacaya's byte 31, and nothing from other layouts", () => {
    // Prepare / Act / Assess
    expect(basefeeSharingPctgOf("0x4b000000000007", true)).toBe(75);
    expect(basefeeSharingPctgOf(`0x${"00".repeat(31)}4b`, false)).toBe(75);
    expect(basefeeSharingPctgOf("0x", false)).toBeNull();
    expect(basefeeSharingPctgOf("0x", true)).toBeNull();
    // bytes32(uint256(pct)) leaves bytes 0..30 zero; anything else is not Pacaya's layout
    expect(basefeeSharingPctgOf(`0x01${"00".repeat(30)}4b`, false)).toBeNull();
    expect(basefeeSharingPctgOf(`0x${"00".repeat(31)}c8`, false)).toBeNull();
  });
});

describe("l2BlockFeesOf", () => {
  it("sums tips and base fees without the anchor, and shares ⌊base × pct / 100⌋ per transaction", () => {
    // Prepare: the anchor, then two user txs paying baseFee 10 + tips 3 and 5
    const receipts = [
      anchorReceipt(),
      receipt(1, { gas: 21_001n, price: 13n }),
      receipt(2, { gas: 50_000n, price: 15n }),
    ];
    // Act
    const fees = l2BlockFeesOf(block(receipts));
    // Assess
    expect(fees).toMatchObject({
      txCount: 2,
      gasUsed: "71001",
      priorityFeeWei: String(21_001 * 3 + 50_000 * 5),
      baseFeeWei: String(71_001 * 10),
      basefeeSharingPctg: 75,
      // per tx: ⌊210010 × 75 / 100⌋ = 157507, ⌊500000 × 75 / 100⌋ = 375000
      sharedBaseFeeWei: String(157_507 + 375_000),
      anchorTxHash: receipts[0]?.transactionHash,
    });
    expect(PipelineEventSchema.safeParse(fees).success).toBe(true);
  });

  it("counts a first transaction that is not the golden touch's anchor call, and leaves an unknown share null", () => {
    // Prepare: tx 0 goes to the anchor but from a user (it cannot be the anchor); Pacaya layout absent
    const receipts = [receipt(0, { to: ANCHOR }), receipt(1)];
    // Act
    const fees = l2BlockFeesOf(block(receipts, "0x", false));
    // Assess
    expect(fees).toMatchObject({
      txCount: 2,
      anchorTxHash: null,
      basefeeSharingPctg: null,
      sharedBaseFeeWei: null,
    });
    expect(PipelineEventSchema.safeParse(fees).success).toBe(true);
  });

  it("refuses receipts of another block as a moved chain, and a price below the base fee as bad data", () => {
    // Prepare
    const moved = receipt(1, { blockHash: `0x${"c".repeat(64)}` as Hex });
    const cheap = receipt(1, { price: 9n });
    // Act / Assess
    expect(() => l2BlockFeesOf(block([moved]))).toThrow(expect.objectContaining({ chainMoved: true }));
    expect(() => l2BlockFeesOf(block([cheap]))).toThrow(FeeDerivationError);
    expect(() => l2BlockFeesOf(block([cheap]))).toThrow(/below the block's base fee/);
  });
});

describe("l1TxCostOf", () => {
  const l1 = { blockNumber: 16, blockHash: BLOCK, timestamp: 1_800_000_000 };

  it("costs gas × effective price plus blob gas × blob price", () => {
    // Prepare
    const r = receipt(3, {
      gas: 100_000n,
      price: 20_000_000_000n,
      blobGasUsed: "0x20000",
      blobGasPrice: "0x3",
    });
    // Act
    const cost = l1TxCostOf({ receipt: r, role: "propose", l1, logIndex: 4 });
    // Assess
    expect(cost).toMatchObject({
      role: "propose",
      blobGasUsed: "131072",
      costWei: String(2n * 10n ** 15n + 393_216n),
    });
    expect(cost.l1).toMatchObject({ logIndex: 4, txHash: r.transactionHash });
    expect(PipelineEventSchema.safeParse(cost).success).toBe(true);
  });

  it("costs a transaction without blobs by its gas alone, and refuses a receipt from another block", () => {
    // Prepare
    const r = receipt(3, { gas: 50_000n, price: 7n });
    // Act / Assess
    expect(l1TxCostOf({ receipt: r, role: "prove", l1, logIndex: 0 }).costWei).toBe("350000");
    const other = { ...l1, blockHash: `0x${"d".repeat(64)}` as Hex };
    expect(() => l1TxCostOf({ receipt: r, role: "prove", l1: other, logIndex: 0 })).toThrow(
      /the chain moved/,
    );
  });
});

describe("fee event schemas", () => {
  it("refuse a share over 100 %, a shared base fee above the base fee, and a share without its amount", () => {
    // Prepare
    const fees = l2BlockFeesOf(block([anchorReceipt(), receipt(1)]));
    // Act / Assess
    const reasons = [
      { ...fees, basefeeSharingPctg: 101 },
      { ...fees, sharedBaseFeeWei: String(BigInt(fees.baseFeeWei) + 1n) },
      { ...fees, sharedBaseFeeWei: null },
    ].map((e) => PipelineEventSchema.safeParse(e).error?.message ?? "accepted");
    expect(reasons[0]).toMatch(/at most 100/);
    expect(reasons[1]).toMatch(/exceeds baseFeeWei/);
    expect(reasons[2]).toMatch(/known exactly when/);
  });
});
