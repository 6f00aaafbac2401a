import { custom, type Hex, hexToNumber, numberToHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  createTransportChainClient,
  getChainLogs,
  getHeaders,
  isRangeRefusal,
} from "../../../lambdas/ingestor/chainReader.js";
import { RpcError } from "../../../lambdas/shared/errors.js";
import { fakeChain, INBOX, rpcBlock } from "./helpers.js";

const TOPIC = `0x${"ee".repeat(32)}` as Hex;

/** One log in every third block of [0, 999]. */
const allLogs = Array.from({ length: 334 }, (_, i) => i * 3).map((n) => ({
  address: INBOX,
  topics: [TOPIC],
  data: "0x",
  blockNumber: numberToHex(n),
  blockHash: `0x${n.toString(16).padStart(64, "0")}`,
  transactionHash: `0x${(n + 1).toString(16).padStart(64, "0")}`,
  logIndex: "0x0",
  transactionIndex: "0x0",
  removed: false,
}));

type Refusal = { code: number; message: string };

/** A node that refuses eth_getLogs over more than `maxSpan` blocks with the given error. */
function refusingNode(maxSpan: number, refusal: Refusal) {
  const asked: [number, number][] = [];
  const client = createTransportChainClient(
    custom(
      {
        async request({ method, params }) {
          if (method !== "eth_getLogs") throw new Error(`unexpected ${method}`);
          const [{ fromBlock, toBlock }] = params as [{ fromBlock: Hex; toBlock: Hex }];
          const range: [number, number] = [hexToNumber(fromBlock), hexToNumber(toBlock)];
          asked.push(range);
          if (range[1] - range[0] + 1 > maxSpan) throw Object.assign(new Error(refusal.message), refusal);
          return allLogs.filter((l) => {
            const n = hexToNumber(l.blockNumber as Hex);
            return n >= range[0] && n <= range[1];
          });
        },
      },
      { retryCount: 0 },
    ),
  );
  return { client, asked };
}

describe("getChainLogs", () => {
  it.each([
    { code: -32005, message: "query returned more than 10000 results" },
    { code: -32000, message: "block range is too wide" },
    {
      code: -32602,
      message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
    },
  ])("splits a refused range in halves until the node accepts it ($message)", async (refusal) => {
    // Prepare
    const { client, asked } = refusingNode(200, refusal);
    const splits: unknown[] = [];

    // Act
    const logs = await getChainLogs(client, {
      addresses: [INBOX],
      eventTopics: [TOPIC],
      fromBlock: 0,
      toBlock: 999,
      onSplit: (range) => splits.push(range),
    });

    // Assess: every log once, in chain order, and no accepted range wider than the node allows
    expect(logs.map((l) => l.blockNumber)).toEqual(allLogs.map((l) => hexToNumber(l.blockNumber as Hex)));
    expect(splits.length).toBeGreaterThan(0);
    const accepted = asked.filter(([from, to]) => to - from + 1 <= 200);
    expect(accepted.reduce((sum, [from, to]) => sum + (to - from + 1), 0)).toBe(1000);
  });

  it("gives up with an RpcError when even a single block is refused", async () => {
    // Prepare
    const { client } = refusingNode(0, { code: -32005, message: "query returned more than 10000 results" });

    // Act
    const error = await getChainLogs(client, {
      addresses: [INBOX],
      eventTopics: [TOPIC],
      fromBlock: 5,
      toBlock: 6,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RpcError);
  });

  it("does not split on a rate limit, which only more requests would make worse", async () => {
    // Prepare
    const { client, asked } = refusingNode(10, { code: -32005, message: "project ID request rate exceeded" });

    // Act
    const error = await getChainLogs(client, {
      addresses: [INBOX],
      eventTopics: [TOPIC],
      fromBlock: 0,
      toBlock: 99,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RpcError);
    expect(asked.every(([from, to]) => from === 0 && to === 99)).toBe(true);
  });
});

describe("isRangeRefusal", () => {
  it("recognises an HTTP 413 and leaves other failures alone", () => {
    // Assess
    expect(isRangeRefusal(Object.assign(new Error("Payload Too Large"), { status: 413 }))).toBe(true);
    expect(isRangeRefusal(Object.assign(new Error("Service Unavailable"), { status: 503 }))).toBe(false);
    expect(isRangeRefusal(new Error("connect ECONNREFUSED 127.0.0.1:8545"))).toBe(false);
  });
});

describe("getHeaders", () => {
  it("reads a range of headers with tx counts, and refuses a block the node does not have", async () => {
    // Prepare
    const chain = fakeChain(5);
    const client = createTransportChainClient(
      custom({
        async request({ method, params }) {
          if (method !== "eth_getBlockByNumber") throw new Error(`unexpected ${method}`);
          const block = chain[hexToNumber((params as [Hex])[0])];
          return block ? rpcBlock(block) : null;
        },
      }),
    );

    // Act
    const headers = await getHeaders(client, { fromBlock: 1, toBlock: 4 });
    const missing = await getHeaders(client, { fromBlock: 4, toBlock: 5 }).catch((e: unknown) => e);

    // Assess
    expect(headers.map((h) => [h.number, h.hash, h.txCount, h.gasUsed, h.baseFeePerGas])).toEqual(
      chain.slice(1).map((b) => [b.number, b.hash, 2, "21000", "1000000000"]),
    );
    expect(missing).toBeInstanceOf(RpcError);
  });
});
