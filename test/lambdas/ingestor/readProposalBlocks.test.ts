import { encodeFunctionData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { BlockHeader, ChainClient } from "../../../lambdas/ingestor/chainReader.js";
import type { JsonRpcCall } from "../../../lambdas/ingestor/jsonRpcBatch.js";
import { readProposalBlocks } from "../../../lambdas/ingestor/logSources.js";
import { GOLDEN_TOUCH_ADDRESS, shastaAnchorAbi } from "../../../lambdas/shared/taiko/shastaAbi.js";
import { ACTIVATION, ANCHOR, l2Hash, l2TestHeader, shastaTestNetwork } from "./helpers.js";

const network = shastaTestNetwork;
const hash = l2Hash;
const header = (n: number, timestamp: number): BlockHeader => l2TestHeader(n, timestamp);
const anchorInput = encodeFunctionData({
  abi: shastaAnchorAbi,
  functionName: "anchorV4",
  args: [{ blockNumber: 41, blockHash: hash(0xabc), stateRoot: hash(0) }],
});

/** A node answering eth_getBlockByHash with full transactions, extraData [75][proposal id]. */
function node(extraData: (n: number) => Hex, asked: unknown[][]): ChainClient {
  return {
    headers: async (calls: readonly JsonRpcCall[]) => {
      asked.push(calls.map((c) => c.params[0]));
      return calls.map((c) => {
        const n = Number(BigInt(c.params[0] as Hex));
        return {
          number: `0x${n.toString(16)}`,
          hash: hash(n),
          extraData: extraData(n),
          transactions: [
            { hash: hash(0xf00 + n), from: GOLDEN_TOUCH_ADDRESS, to: ANCHOR, input: anchorInput },
          ],
        };
      });
    },
  } as unknown as ChainClient;
}

describe("readProposalBlocks", () => {
  it("links only the blocks at or past the Shasta activation to the proposal their extraData names", async () => {
    // Prepare
    const asked: unknown[][] = [];
    const headers = [header(9, ACTIVATION - 2), header(10, ACTIVATION), header(11, ACTIVATION + 2)];

    // Act
    const { events, skipped } = await readProposalBlocks(
      node(() => "0x4b000000000007", asked),
      network,
      headers,
    );

    // Assess: the Pacaya block is not read again; each Shasta block names proposal 7 at 75 %
    expect(asked).toEqual([[hash(10), hash(11)]]);
    expect(skipped).toEqual([]);
    expect(events).toMatchObject([
      {
        type: "shasta_proposal_block",
        number: 10,
        proposalId: 7,
        basefeeSharingPctg: 75,
        anchor: { l1BlockNumber: 41 },
      },
      { type: "shasta_proposal_block", number: 11, proposalId: 7, basefeeSharingPctg: 75 },
    ]);
  });

  it("skips, with the reason, a Shasta-era block whose extraData is not the 7-byte layout", async () => {
    // Prepare
    const headers = [header(10, ACTIVATION)];

    // Act
    const { events, skipped } = await readProposalBlocks(
      node(() => "0x", []),
      network,
      headers,
    );

    // Assess
    expect(events).toEqual([]);
    expect(skipped).toMatchObject([{ number: 10, reason: expect.stringMatching(/7/) }]);
  });

  it("reads nothing on a network without Shasta", async () => {
    // Act
    const { events } = await readProposalBlocks(
      node(() => "0x", []),
      undefined,
      [header(10, ACTIVATION)],
    );

    // Assess
    expect(events).toEqual([]);
  });
});
