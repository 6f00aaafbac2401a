import type { PreconfEpochEvent } from "../../lambdas/shared/preconfEvents.js";
import { address, hash } from "./events.js";

/** A whitelist read at L1 block `n` (hash("l1:n")), in the epoch starting at `epochStart`: operators 1 and 2 active, 3 pending. */
export function preconfEpoch(
  n: number,
  epochStart: number,
  over: Partial<PreconfEpochEvent> = {},
): PreconfEpochEvent {
  return {
    v: 1,
    type: "preconf_epoch",
    whitelist: address(0xfee),
    epochStart,
    readAt: { blockNumber: n, blockHash: hash(`l1:${n}`), timestamp: epochStart + 12 },
    trigger: "epoch_start",
    currentOperator: address(1),
    nextOperator: address(2),
    operators: [
      { proposer: address(1), sequencer: address(11), activeSince: epochStart - 768 },
      { proposer: address(2), sequencer: address(12), activeSince: epochStart },
      { proposer: address(3), sequencer: address(13), activeSince: epochStart + 768 },
    ],
    ...over,
  };
}
