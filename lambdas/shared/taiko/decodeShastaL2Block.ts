import { decodeFunctionData, type Hex, hexToNumber, toFunctionSelector } from "viem";
import { ShastaL2BlockDecodeError } from "./ShastaDecodeError.js";
import { GOLDEN_TOUCH_ADDRESS, shastaAnchorAbi } from "./shastaAbi.js";

/**
 * In Shasta the L1 `Proposed` event no longer names its L2 blocks: each L2 block names its
 * proposal instead. Derivation.md ("Pre-Execution Block Header") puts `basefeeSharingPctg` in
 * extraData byte 0 and `proposalId` (uint48) in bytes 1..6; taiko-client's EncodeShastaExtraData
 * writes exactly 7 bytes, the id big-endian (bindings/encoding/input.go @b9c5bb2). The block's
 * first transaction is `Anchor.anchorV4(Checkpoint)` from the golden-touch account, which carries
 * the L1 block the L2 block anchors to (not the proposal id).
 */
export const SHASTA_EXTRA_DATA_BYTES = 7;

export const ANCHOR_V4_SELECTOR: Hex = toFunctionSelector(
  shastaAnchorAbi.find((item) => item.type === "function" && item.name === "anchorV4") as never,
);

export interface ShastaExtraData {
  readonly basefeeSharingPctg: number;
  readonly proposalId: number;
}

/** The L2 block as `eth_getBlockByNumber(n, true)` returns it (viem's Block fits). */
export interface ShastaL2BlockInput {
  readonly number: bigint | number;
  readonly hash: Hex;
  readonly extraData: Hex;
  /** Full transaction objects: the anchor is the first one. */
  readonly transactions: readonly (
    | Hex
    | { readonly hash: Hex; readonly from: Hex; readonly to: Hex | null; readonly input: Hex }
  )[];
}

export interface ShastaL2BlockLink extends ShastaExtraData {
  readonly blockNumber: number;
  readonly blockHash: Hex;
  /** From the anchorV4 calldata: the L1 block this L2 block anchors to (0 = keep the parent's anchor). */
  readonly anchor: {
    readonly txHash: Hex;
    readonly l1BlockNumber: number;
    readonly l1BlockHash: Hex;
    readonly l1StateRoot: Hex;
  };
}

/** Read byte 0 (base-fee sharing %) and bytes 1..6 (proposal id, big-endian) of a Shasta L2 header's extraData. */
export function decodeShastaExtraData(extraData: Hex): ShastaExtraData {
  const bytes = (extraData.length - 2) / 2;
  if (!/^0x[0-9a-fA-F]*$/.test(extraData) || !Number.isInteger(bytes)) {
    throw new Error(`extraData ${extraData} is not hex bytes`);
  }
  if (bytes !== SHASTA_EXTRA_DATA_BYTES) {
    throw new Error(`extraData has ${bytes} bytes, a Shasta header has ${SHASTA_EXTRA_DATA_BYTES}`);
  }
  return {
    basefeeSharingPctg: hexToNumber(`0x${extraData.slice(2, 4)}`),
    proposalId: hexToNumber(`0x${extraData.slice(4, 16)}`),
  };
}

export interface DecodeShastaL2BlockParameters {
  readonly block: ShastaL2BlockInput;
  /** The network's L2 anchor proxy (e.g. 0x1670000000000000000000000000000000010001 on mainnet). */
  readonly anchorAddress: Hex;
}

/**
 * Tie an L2 block to its Shasta proposal: the proposal id and base-fee sharing % from the header,
 * the anchored L1 block from the anchor transaction. Throws ShastaL2BlockDecodeError (permanent)
 * when either is not where the protocol puts it.
 */
export function decodeShastaL2Block({
  block,
  anchorAddress,
}: DecodeShastaL2BlockParameters): ShastaL2BlockLink {
  const blockNumber = Number(block.number);
  const fail = (reason: string, cause?: unknown) =>
    new ShastaL2BlockDecodeError(blockNumber, block.hash, reason, { cause });
  let header: ShastaExtraData;
  try {
    header = decodeShastaExtraData(block.extraData);
  } catch (error) {
    throw fail((error as Error).message, error);
  }
  const first = block.transactions[0];
  if (first === undefined)
    throw fail("the block has no transactions; every Shasta block starts with its anchor");
  if (typeof first === "string")
    throw fail("the block was read without full transactions (use includeTransactions)");
  if (first.to?.toLowerCase() !== anchorAddress.toLowerCase()) {
    throw fail(`the first transaction goes to ${first.to ?? "nothing"}, not the anchor ${anchorAddress}`);
  }
  // Only the golden-touch account may call anchorV4 (Anchor.onlyValidSender).
  if (first.from.toLowerCase() !== GOLDEN_TOUCH_ADDRESS) {
    throw fail(`the anchor transaction is from ${first.from}, not the golden-touch account`);
  }
  if (first.input.slice(0, 10).toLowerCase() !== ANCHOR_V4_SELECTOR) {
    throw fail(`the anchor transaction calls selector ${first.input.slice(0, 10)}, not anchorV4`);
  }
  let checkpoint: { blockNumber: number; blockHash: Hex; stateRoot: Hex };
  try {
    const decoded = decodeFunctionData({ abi: shastaAnchorAbi, data: first.input });
    checkpoint = decoded.args[0];
  } catch (error) {
    throw fail(`anchorV4 calldata does not decode: ${(error as Error).message.split("\n")[0]}`, error);
  }
  return {
    blockNumber,
    blockHash: block.hash.toLowerCase() as Hex,
    ...header,
    anchor: {
      txHash: first.hash.toLowerCase() as Hex,
      l1BlockNumber: checkpoint.blockNumber,
      l1BlockHash: checkpoint.blockHash.toLowerCase() as Hex,
      l1StateRoot: checkpoint.stateRoot.toLowerCase() as Hex,
    },
  };
}
