import {
  type AbiEvent,
  type Address,
  concatHex,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  type Hex,
  hexToBigInt,
  numberToHex,
  sliceHex,
  zeroHash,
} from "viem";
import { inboxAbi } from "../../lambdas/shared/inboxAbi.js";
import { devnetInboxWrapperAbi } from "../devnet/devnetAbi.js";

/**
 * Bad and absurd inbox logs, emitted on L1 under the real BatchProposed topic from the inbox wrapper
 * (an address the ingestor reads): what a buggy or hostile contract upgrade, or a broken node, puts
 * in front of the ingestor. None may stop the chain; each must end in the DLQ with its reason.
 */
export const BAD_LOG_KINDS = ["undecodable", "tenToTheNineBlocks", "outOfRangeTimestamp"] as const;
export type BadLogKind = (typeof BAD_LOG_KINDS)[number];

const batchProposed = inboxAbi.find((x) => x.type === "event" && x.name === "BatchProposed") as AbiEvent;
const batchProposedTopic = encodeEventTopics({ abi: inboxAbi, eventName: "BatchProposed" })[0] as Hex;

/** A well-formed BatchProposed body for a batch id no real proposal uses. */
function batchProposedData(batchId: bigint, lastBlockTimestamp: bigint): Hex {
  const info = {
    txsHash: zeroHash,
    blocks: [{ numTransactions: 0, timeShift: 0, signalSlots: [] }],
    blobHashes: [],
    extraData: zeroHash,
    coinbase: "0x0000000000000000000000000000000000000001" as Address,
    proposedIn: 1n,
    blobCreatedIn: 0n,
    blobByteOffset: 0,
    blobByteSize: 0,
    gasLimit: 1,
    lastBlockId: 1n,
    lastBlockTimestamp,
    anchorBlockId: 1n,
    anchorBlockHash: zeroHash,
    baseFeeConfig: {
      adjustmentQuotient: 8,
      sharingPctg: 75,
      gasIssuancePerSecond: 5_000_000,
      minGasExcess: 1n,
      maxGasIssuancePerBlock: 1,
    },
  };
  const meta = { infoHash: zeroHash, proposer: info.coinbase, batchId, proposedAt: 1n };
  return encodeAbiParameters(batchProposed.inputs, [info, meta, "0x"]);
}

/** The body of each bad log kind; `salt` keeps two logs of one seed apart. */
export function badLogData(kind: BadLogKind, salt: number): Hex {
  const batchId = 1_000_000_000n + BigInt(salt);
  switch (kind) {
    case "undecodable":
      return concatHex(["0xdeadbeef", numberToHex(salt, { size: 33 })]);
    case "outOfRangeTimestamp":
      return batchProposedData(batchId, 2n ** 64n - 1n);
    case "tenToTheNineBlocks": {
      // The blocks array's length word, found by following the offsets (info, then info.blocks), set to 10⁹.
      const data = batchProposedData(batchId, 1n);
      const word = (at: number) => Number(hexToBigInt(sliceHex(data, at, at + 32)));
      const info = word(0);
      const lengthAt = info + word(info + 32);
      return concatHex([
        sliceHex(data, 0, lengthAt),
        numberToHex(1_000_000_000n, { size: 32 }),
        sliceHex(data, lengthAt + 32),
      ]);
    }
  }
}

/** The wrapper call that emits a bad log of `kind`. */
export function badLogCall(wrapper: Address, kind: BadLogKind, salt: number) {
  return {
    to: wrapper,
    data: encodeFunctionData({
      abi: devnetInboxWrapperAbi,
      functionName: "emitRaw",
      args: [batchProposedTopic, badLogData(kind, salt)],
    }),
    gas: 200_000n,
  };
}

/**
 * Whether a DLQ message is the dead letter of one of the injected bad logs (its body names the log's
 * transaction: the ingestor's rejection, or the processor's refusal of an absurd event).
 */
export function isBadLogLetter(body: string, txHashes: ReadonlySet<string>): string | undefined {
  const lower = body.toLowerCase();
  for (const tx of txHashes) if (lower.includes(tx)) return tx;
  return undefined;
}
