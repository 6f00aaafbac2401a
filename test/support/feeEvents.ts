import type { L1Location } from "../../lambdas/shared/events.js";
import type { L1TxCostEvent, L1TxRole, L2BlockFeesEvent } from "../../lambdas/shared/feeEvents.js";
import { address, hash } from "./events.js";

/** An L2 block's fees (hash `l2:{n}` like l2Header's): 2 txs beside the anchor, tips 3 gwei × 21,000 gas each. */
export function l2BlockFees(number: number, over: Partial<L2BlockFeesEvent> = {}): L2BlockFeesEvent {
  return {
    v: 1,
    type: "l2_block_fees",
    number,
    hash: hash(`l2:${number}`),
    timestamp: 1_700_000_000 + number * 2,
    baseFeePerGas: "10000000",
    txCount: 2,
    gasUsed: "42000",
    priorityFeeWei: (2n * 21_000n * 3_000_000_000n).toString(),
    baseFeeWei: (42_000n * 10_000_000n).toString(),
    basefeeSharingPctg: 75,
    sharedBaseFeeWei: ((42_000n * 10_000_000n * 75n) / 100n).toString(),
    anchorTxHash: hash(`anchor:${number}`),
    ...over,
  };
}

/** A proposing (or proving) L1 transaction's cost: 100,000 gas at 20 gwei plus one blob's 131,072 blob gas at 3 wei. */
export function l1TxCost(role: L1TxRole, l1: L1Location, over: Partial<L1TxCostEvent> = {}): L1TxCostEvent {
  return {
    v: 1,
    type: "l1_tx_cost",
    l1,
    role,
    from: address(7),
    to: address(9),
    gasUsed: "100000",
    effectiveGasPrice: "20000000000",
    blobGasUsed: "131072",
    blobGasPrice: "3",
    costWei: (100_000n * 20_000_000_000n + 131_072n * 3n).toString(),
    ...over,
  };
}
