import type { L1Location } from "../shared/events.js";

/** The L1 log columns of a row (Pacaya tables; Shasta tables add l1_block_ts). */
export function l1Log(l1: Pick<L1Location, "blockNumber" | "blockHash" | "txHash" | "logIndex">) {
  return {
    l1_block_number: l1.blockNumber,
    l1_block_hash: l1.blockHash,
    l1_tx_hash: l1.txHash,
    log_index: l1.logIndex,
  };
}
