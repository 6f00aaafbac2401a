import { type Hex, hexToBigInt } from "viem";
import type { L1TxCostEvent, L1TxRole, L2BlockFeesEvent } from "../feeEvents.js";
import { decodeShastaExtraData, SHASTA_EXTRA_DATA_BYTES } from "./decodeShastaL2Block.js";
import { GOLDEN_TOUCH_ADDRESS } from "./shastaAbi.js";

/**
 * Fees and L1 costs from receipts (issue 12, item 5). Pure: the ingestor reads the receipts
 * (lambdas/ingestor/readFees.ts), this turns them into events. The rules follow the execution client
 * and the protocol:
 *
 * - Tip per transaction = (effectiveGasPrice − baseFee) × gasUsed: effectiveGasPrice is baseFee +
 *   min(tipCap, feeCap − baseFee), the coinbase is paid the second term per gas.
 * - The base fee is not burnt on Taiko: ⌊baseFee × gasUsed × pct / 100⌋ goes to the coinbase, the rest to
 *   the treasury, per transaction, the anchor excluded (taikoxyz/taiko-geth core/state_transition.go
 *   @ eeab36de475a23b8d6f37d4845f1517c8464dd9e, `!st.msg.IsAnchor`).
 * - pct comes from the L2 header's extraData. Shasta: byte 0 of the 7 bytes (Derivation.md @ taiko-mono
 *   b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b). Pacaya: the batch's `extraData =
 *   bytes32(uint256(baseFeeConfig.sharingPctg))` (TaikoInbox.sol @ 805152319eb2bd9ebd8c3e539b944a110c7c9f0f),
 *   which taiko-geth reads as one big-endian integer (DecodeOntakeExtraData): byte 31 of 32.
 * - The anchor is the block's first transaction, sent by the golden-touch account to the L2 anchor.
 * - An L1 transaction costs gasUsed × effectiveGasPrice + blobGasUsed × blobGasPrice (Taikoscope's
 *   l1_data_cost.rs defines the proposer's data cost the same way).
 */

/** The fields of an `eth_getTransactionReceipt` / `eth_getBlockReceipts` entry this module reads (hex quantities). */
export interface RpcReceipt {
  readonly transactionHash: Hex;
  readonly transactionIndex: Hex;
  readonly blockHash: Hex;
  readonly blockNumber: Hex;
  readonly from: Hex;
  readonly to: Hex | null;
  readonly gasUsed: Hex;
  readonly effectiveGasPrice: Hex;
  readonly blobGasUsed?: Hex | null;
  readonly blobGasPrice?: Hex | null;
}

/**
 * A receipt that does not fit its block. `chainMoved`: it belongs to another block than the one read (the
 * chain moved in between; reading again helps). Otherwise the node's data is inconsistent in itself.
 */
export class FeeDerivationError extends Error {
  override readonly name = "FeeDerivationError";
  constructor(
    message: string,
    readonly chainMoved = false,
  ) {
    super(message);
  }
}

const PACAYA_EXTRA_DATA_BYTES = 32;

/**
 * The base-fee sharing % an L2 header carries: Shasta's 7-byte layout (byte 0), Pacaya's bytes32 (byte 31,
 * the rest zero). Null for any other layout (an anvil devnet's empty extraData, a fork this code does not
 * know): the share is then not guessed.
 */
export function basefeeSharingPctgOf(extraData: Hex, shasta: boolean): number | null {
  const bytes = (extraData.length - 2) / 2;
  if (shasta) {
    if (bytes !== SHASTA_EXTRA_DATA_BYTES) return null;
    return decodeShastaExtraData(extraData).basefeeSharingPctg;
  }
  if (bytes !== PACAYA_EXTRA_DATA_BYTES || !/^0x0{62}[0-9a-fA-F]{2}$/.test(extraData)) return null;
  const pct = Number.parseInt(extraData.slice(-2), 16);
  return pct <= 100 ? pct : null;
}

export interface L2BlockFeesInput {
  readonly number: number;
  readonly hash: Hex;
  readonly timestamp: number;
  readonly baseFeePerGas: bigint;
  readonly extraData: Hex;
  /** The block is at or past the Shasta activation. */
  readonly shasta: boolean;
  /** The block's receipts, in any order. */
  readonly receipts: readonly RpcReceipt[];
  /** The network's L2 anchor (TaikoAnchor / Anchor proxy). */
  readonly anchorAddress: Hex;
}

/** One L2 block's fees, the anchor transaction excluded. */
export function l2BlockFeesOf(input: L2BlockFeesInput): L2BlockFeesEvent {
  const { baseFeePerGas: baseFee, receipts } = input;
  const pct = basefeeSharingPctgOf(input.extraData, input.shasta);
  const anchor = anchorOf(receipts, input.anchorAddress);
  let gasUsed = 0n;
  let priority = 0n;
  let base = 0n;
  let shared = 0n;
  let txCount = 0;
  for (const r of receipts) {
    if (r.blockHash.toLowerCase() !== input.hash.toLowerCase()) {
      throw new FeeDerivationError(
        `receipt ${r.transactionHash} is of block ${r.blockHash}, not ${input.hash} (${input.number})`,
        true,
      );
    }
    if (r === anchor) continue;
    const gas = hexToBigInt(r.gasUsed);
    const price = hexToBigInt(r.effectiveGasPrice);
    if (price < baseFee) {
      throw new FeeDerivationError(
        `receipt ${r.transactionHash}: effectiveGasPrice ${price} is below the block's base fee ${baseFee}`,
      );
    }
    const txBase = baseFee * gas;
    gasUsed += gas;
    priority += (price - baseFee) * gas;
    base += txBase;
    if (pct !== null) shared += (txBase * BigInt(pct)) / 100n;
    txCount++;
  }
  return {
    v: 1,
    type: "l2_block_fees",
    number: input.number,
    hash: input.hash.toLowerCase(),
    timestamp: input.timestamp,
    baseFeePerGas: baseFee.toString(),
    txCount,
    gasUsed: gasUsed.toString(),
    priorityFeeWei: priority.toString(),
    baseFeeWei: base.toString(),
    basefeeSharingPctg: pct,
    sharedBaseFeeWei: pct === null ? null : shared.toString(),
    anchorTxHash: anchor ? anchor.transactionHash.toLowerCase() : null,
  };
}

/** The block's anchor: its first transaction, from the golden-touch account to the anchor contract. */
function anchorOf(receipts: readonly RpcReceipt[], anchorAddress: Hex): RpcReceipt | undefined {
  const first = receipts.find((r) => hexToBigInt(r.transactionIndex) === 0n);
  if (!first) return undefined;
  const toAnchor = first.to?.toLowerCase() === anchorAddress.toLowerCase();
  return toAnchor && first.from.toLowerCase() === GOLDEN_TOUCH_ADDRESS ? first : undefined;
}

export interface L1TxCostInput {
  readonly receipt: RpcReceipt;
  readonly role: L1TxRole;
  /** The L1 block the transaction's inbox log was read in, and that log's index. */
  readonly l1: { readonly blockNumber: number; readonly blockHash: Hex; readonly timestamp: number };
  readonly logIndex: number;
}

/** What a proposing or proving L1 transaction cost, from its receipt. */
export function l1TxCostOf({ receipt: r, role, l1, logIndex }: L1TxCostInput): L1TxCostEvent {
  if (r.blockHash.toLowerCase() !== l1.blockHash.toLowerCase()) {
    throw new FeeDerivationError(
      `receipt of ${r.transactionHash} is in block ${r.blockHash}, its log in ${l1.blockHash}: the chain moved`,
      true,
    );
  }
  if (r.to === null)
    throw new FeeDerivationError(`${r.transactionHash} created a contract: it is no inbox call`);
  const gasUsed = hexToBigInt(r.gasUsed);
  const price = hexToBigInt(r.effectiveGasPrice);
  const blobGas = r.blobGasUsed ? hexToBigInt(r.blobGasUsed) : 0n;
  const blobPrice = r.blobGasPrice ? hexToBigInt(r.blobGasPrice) : 0n;
  return {
    v: 1,
    type: "l1_tx_cost",
    l1: {
      blockNumber: l1.blockNumber,
      blockHash: l1.blockHash.toLowerCase(),
      timestamp: l1.timestamp,
      txHash: r.transactionHash.toLowerCase(),
      logIndex,
    },
    role,
    from: r.from.toLowerCase(),
    to: r.to.toLowerCase(),
    gasUsed: gasUsed.toString(),
    effectiveGasPrice: price.toString(),
    blobGasUsed: blobGas.toString(),
    blobGasPrice: blobPrice.toString(),
    costWei: (gasUsed * price + blobGas * blobPrice).toString(),
  };
}
