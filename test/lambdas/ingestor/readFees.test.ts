import { type Hex, numberToHex } from "viem";
import { describe, expect, it } from "vitest";
import type { BlockHeader, ChainClient } from "../../../lambdas/ingestor/chainReader.js";
import type { JsonRpcCall } from "../../../lambdas/ingestor/jsonRpcBatch.js";
import { costedTransactions, readL1TxCosts, readL2BlockFees } from "../../../lambdas/ingestor/readFees.js";
import { RpcError } from "../../../lambdas/shared/errors.js";
import { GOLDEN_TOUCH_ADDRESS } from "../../../lambdas/shared/taiko/shastaAbi.js";
import { at, proposed, proved } from "../../support/events.js";
import { shastaProposed } from "../../support/shastaEvents.js";
import { ACTIVATION, ANCHOR, l2Hash, l2TestHeader, shastaTestNetwork } from "./helpers.js";

const network = shastaTestNetwork;
const hash = l2Hash;
const USER: Hex = `0x${"5".repeat(40)}`;

const header = (n: number, timestamp: number, extraData: Hex): BlockHeader =>
  l2TestHeader(n, timestamp, { baseFeePerGas: "10", txCount: 2, miner: USER, extraData });

/** Block n's receipts: the anchor, then a user tx of 21,000 gas tipping 2 wei. */
const receiptsOf = (n: number) =>
  [
    { i: 0, from: GOLDEN_TOUCH_ADDRESS, to: ANCHOR, gas: 1_000_000n, price: 10n },
    { i: 1, from: USER, to: USER, gas: 21_000n, price: 12n },
  ].map((r) => ({
    transactionHash: hash(0x1000 * n + r.i),
    transactionIndex: numberToHex(r.i),
    blockHash: hash(n),
    blockNumber: numberToHex(n),
    from: r.from,
    to: r.to,
    gasUsed: numberToHex(r.gas),
    effectiveGasPrice: numberToHex(r.price),
  }));

/** A node answering receipts by block hash, optionally without eth_getBlockReceipts (JSON-RPC -32601). */
function l2Node(calls: string[], options: { blockReceipts: boolean }): ChainClient {
  return {
    headers: async (batch: readonly JsonRpcCall[]) => {
      calls.push(...batch.map((c) => c.method));
      if (batch.some((c) => c.method === "eth_getBlockReceipts") && !options.blockReceipts) {
        throw new Error("the node answered -32601: the method eth_getBlockReceipts does not exist");
      }
      return batch.map((c) => {
        const key = c.params[0] as Hex;
        if (c.method === "eth_getBlockReceipts") return receiptsOf(Number(BigInt(key)));
        if (c.method === "eth_getBlockByHash") {
          const n = Number(BigInt(key));
          return { transactions: receiptsOf(n).map((r) => r.transactionHash) };
        }
        const tx = Number(BigInt(key));
        return receiptsOf(Math.floor(tx / 0x1000)).find((r) => r.transactionHash === key);
      });
    },
  } as unknown as ChainClient;
}

describe("readL2BlockFees", () => {
  it("reads each block's receipts in one batch and reads the share from the fork's extraData layout", async () => {
    // Prepare: a Pacaya block (bytes32 share 75) and a Shasta block (7 bytes, share 50)
    const calls: string[] = [];
    const headers = [
      header(9, ACTIVATION - 2, `0x${"00".repeat(31)}4b`),
      header(10, ACTIVATION, "0x32000000000003"),
    ];
    // Act
    const { events, skipped } = await readL2BlockFees(
      l2Node(calls, { blockReceipts: true }),
      network,
      headers,
    );
    // Assess
    expect(calls).toEqual(["eth_getBlockReceipts", "eth_getBlockReceipts"]);
    expect(skipped).toEqual([]);
    expect(events).toMatchObject([
      {
        number: 9,
        txCount: 1,
        priorityFeeWei: "42000",
        baseFeeWei: "210000",
        basefeeSharingPctg: 75,
        sharedBaseFeeWei: "157500",
        anchorTxHash: hash(0x9000),
      },
      {
        number: 10,
        txCount: 1,
        basefeeSharingPctg: 50,
        sharedBaseFeeWei: "105000",
        anchorTxHash: hash(0xa000),
      },
    ]);
  });

  it("falls back to per-transaction receipts once the node lacks eth_getBlockReceipts, and stays there", async () => {
    // Prepare
    const calls: string[] = [];
    const client = l2Node(calls, { blockReceipts: false });
    const headers = [header(10, ACTIVATION, "0x32000000000003")];
    // Act
    const first = await readL2BlockFees(client, network, headers);
    calls.length = 0;
    const second = await readL2BlockFees(client, network, headers);
    // Assess
    expect(first.events).toEqual(second.events);
    expect(first.events).toMatchObject([{ number: 10, priorityFeeWei: "42000", txCount: 1 }]);
    expect(calls).toEqual(["eth_getBlockByHash", "eth_getTransactionReceipt", "eth_getTransactionReceipt"]);
  });

  it("retries when the node's receipts do not cover the header's transactions", async () => {
    // Prepare: the header says 3 transactions, the node returns 2 receipts
    const headers = [{ ...header(10, ACTIVATION, "0x32000000000003"), txCount: 3 }];
    // Act / Assess
    await expect(readL2BlockFees(l2Node([], { blockReceipts: true }), network, headers)).rejects.toThrow(
      RpcError,
    );
  });
});

describe("readL1TxCosts", () => {
  it("reads one receipt per proposing or proving transaction, a proposing one costed once as data cost", async () => {
    // Prepare: block 20 holds a Pacaya proposal and a Shasta proposal in one tx, and a proof in another
    const both = { txHash: hash(0xaa) };
    const events = [
      proposed(1, at(20, both)),
      shastaProposed(2, at(20, { ...both, logIndex: 1 })),
      proved(1, at(20, { txHash: hash(0xbb), logIndex: 2 })),
    ];
    const asked: unknown[] = [];
    const client = {
      headers: async (batch: readonly JsonRpcCall[]) => {
        asked.push(...batch.map((c) => c.params[0]));
        return batch.map((c) => ({
          transactionHash: c.params[0],
          transactionIndex: "0x0",
          blockHash: at(20).blockHash,
          blockNumber: "0x14",
          from: USER,
          to: USER,
          gasUsed: "0x186a0",
          effectiveGasPrice: "0x2",
          blobGasUsed: "0x20000",
          blobGasPrice: "0x1",
        }));
      },
    } as unknown as ChainClient;
    // Act
    const { events: costs } = await readL1TxCosts(client, [], events);
    // Assess
    expect(asked).toEqual([hash(0xaa), hash(0xbb)]);
    expect(costs).toMatchObject([
      { role: "propose", costWei: String(200_000 + 131_072), l1: { txHash: hash(0xaa), logIndex: 0 } },
      { role: "prove", l1: { txHash: hash(0xbb), logIndex: 2 } },
    ]);
    expect(costedTransactions([events[2], events[0]] as never).map((t) => t.role)).toEqual([
      "prove",
      "propose",
    ]);
  });
});
