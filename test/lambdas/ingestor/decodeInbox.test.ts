import { encodeAbiParameters, encodeEventTopics, getAbiItem, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { ChainLog } from "../../../lambdas/ingestor/chainReader.js";
import { decodeInboxLogs, inboxEventTopics } from "../../../lambdas/ingestor/decodeInbox.js";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";

const h = (byte: string) => `0x${byte.repeat(32)}` as Hex;
const PROPOSER = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01"; // checksummed, as nodes and viem return it

function inboxLog(name: (typeof inboxAbi)[number]["name"], args: readonly unknown[], logIndex = 0): ChainLog {
  const item = getAbiItem({ abi: inboxAbi, name }) as { inputs: readonly { type: string }[] };
  return {
    address: "0x00000000000000000000000000000000000a11ce",
    topics: encodeEventTopics({ abi: inboxAbi, eventName: name as "BatchesVerified" }) as Hex[],
    data: encodeAbiParameters(item.inputs as never, args as never),
    blockNumber: 100,
    blockHash: h("bb"),
    transactionHash: h("cc"),
    logIndex,
  };
}

const blockTimestamps = new Map([[100, 1_700_000_123]]);

const batchInfo = {
  txsHash: h("01"),
  blocks: [
    { numTransactions: 3, timeShift: 0, signalSlots: [] },
    { numTransactions: 1, timeShift: 2, signalSlots: [h("02")] },
  ],
  blobHashes: [h("AB")],
  extraData: h("00"),
  coinbase: "0x1111111111111111111111111111111111111111",
  proposedIn: 99n,
  blobCreatedIn: 98n,
  blobByteOffset: 0,
  blobByteSize: 4096,
  gasLimit: 240_000_000,
  lastBlockId: 51n,
  lastBlockTimestamp: 1_700_000_100n,
  anchorBlockId: 97n,
  anchorBlockHash: h("03"),
  baseFeeConfig: {
    adjustmentQuotient: 8,
    sharingPctg: 50,
    gasIssuancePerSecond: 5_000_000,
    minGasExcess: 1n,
    maxGasIssuancePerBlock: 600_000_000,
  },
};

describe("decodeInboxLogs", () => {
  it("decodes BatchProposed into a batch_proposed event located on L1", () => {
    // Prepare
    const meta = { infoHash: h("04"), proposer: PROPOSER, batchId: 7n, proposedAt: 1_700_000_120n };
    const log = inboxLog("BatchProposed", [batchInfo, meta, "0x"], 4);

    // Act
    const { events, skipped } = decodeInboxLogs({ logs: [log], blockTimestamps });

    // Assess
    expect(skipped).toEqual([]);
    expect(events).toEqual([
      {
        v: 1,
        type: "batch_proposed",
        l1: { blockNumber: 100, blockHash: h("bb"), timestamp: 1_700_000_123, txHash: h("cc"), logIndex: 4 },
        batchId: 7,
        proposer: PROPOSER.toLowerCase(),
        coinbase: "0x1111111111111111111111111111111111111111",
        proposedAt: 1_700_000_120,
        proposedIn: 99,
        lastBlockId: 51,
        blockCount: 2,
        lastBlockTimestamp: 1_700_000_100,
        anchorBlockId: 97,
        gasLimit: 240_000_000,
        blobHashes: [h("ab")],
        txListBytes: 4096,
      },
    ]);
  });

  it("counts calldata bytes when the tx list is not in a blob", () => {
    // Prepare
    const meta = { infoHash: h("04"), proposer: PROPOSER, batchId: 8n, proposedAt: 1n };
    const log = inboxLog("BatchProposed", [{ ...batchInfo, blobHashes: [] }, meta, "0x0102030405"]);

    // Act
    const { events } = decodeInboxLogs({ logs: [log], blockTimestamps });

    // Assess
    expect(events[0]).toMatchObject({ batchId: 8, txListBytes: 5, blobHashes: [] });
  });

  it("turns one BatchesProved log with three batch ids into three events, each with its transition", () => {
    // Prepare
    const transitions = [1, 2, 3].map((i) => ({
      parentHash: h(`a${i}`),
      blockHash: h(`b${i}`),
      stateRoot: h(`c${i}`),
    }));
    const log = inboxLog("BatchesProved", [PROPOSER, [10n, 11n, 12n], transitions]);

    // Act
    const { events } = decodeInboxLogs({ logs: [log], blockTimestamps });

    // Assess
    expect(
      events.map((e) => e.type === "batches_proved" && [e.batchId, e.verifier, e.transition.blockHash]),
    ).toEqual([
      [10, PROPOSER.toLowerCase(), h("b1")],
      [11, PROPOSER.toLowerCase(), h("b2")],
      [12, PROPOSER.toLowerCase(), h("b3")],
    ]);
  });

  it("decodes BatchesVerified and ForcedInclusionProcessed", () => {
    // Prepare
    const forced = {
      blobHash: h("EF"),
      feeInGwei: 123_456_789_012n,
      createdAtBatchId: 40n,
      blobByteOffset: 16,
      blobByteSize: 2048,
      blobCreatedIn: 90n,
    };
    const logs = [
      inboxLog("BatchesVerified", [9n, h("DD")], 1),
      inboxLog("ForcedInclusionProcessed", [forced], 2),
    ];

    // Act
    const { events } = decodeInboxLogs({ logs, blockTimestamps });

    // Assess
    expect(events).toMatchObject([
      { type: "batches_verified", batchId: 9, blockHash: h("dd"), l1: { logIndex: 1 } },
      {
        type: "forced_inclusion_processed",
        blobHash: h("ef"),
        feeInGwei: "123456789012",
        createdAtBatchId: 40,
        blobByteOffset: 16,
        blobByteSize: 2048,
        blobCreatedIn: 90,
        l1: { logIndex: 2 },
      },
    ]);
  });

  it("skips a log that does not decode, and keeps the others", () => {
    // Prepare
    const good = inboxLog("BatchesVerified", [9n, h("dd")], 1);
    const truncated = { ...inboxLog("BatchesVerified", [10n, h("dd")], 2), data: "0x1234" as Hex };
    const huge = inboxLog("BatchesVerified", [2n ** 60n, h("dd")], 3);

    // Act
    const { events, skipped } = decodeInboxLogs({ logs: [truncated, good, huge], blockTimestamps });

    // Assess
    expect(events.map((e) => e.l1.logIndex)).toEqual([1]);
    expect(skipped.map((s) => s.log.logIndex)).toEqual([2, 3]);
    expect(skipped[1]?.reason).toContain("exceeds 2^53");
  });

  it("filters on the four inbox event selectors", () => {
    // Assess
    expect(new Set(inboxEventTopics).size).toBe(4);
  });
});
