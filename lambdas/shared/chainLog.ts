import type { Hex } from "viem";

/** An `eth_getLogs` entry as the ingestor reads it and both inbox decoders (Pacaya, Shasta) take it. */
export interface ChainLog {
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: number;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
  readonly logIndex: number;
}
