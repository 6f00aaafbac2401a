import { type AbiEvent, encodeAbiParameters, encodeEventTopics, getAbiItem, type Hex } from "viem";
import type { ShastaLog } from "../../../../lambdas/shared/taiko/decodeShasta.js";
import {
  shastaInboxAbi,
  type shastaProvedWithCheckpointAbi,
} from "../../../../lambdas/shared/taiko/shastaAbi.js";

export const h = (byte: string): Hex => `0x${byte.repeat(32)}` as Hex;
export const INBOX: Hex = "0x6f21C543a4aF5189eBdb0723827577e1EF57ef1f";
export const TX = h("cc");
export const BLOCK_HASH = h("bb");

type Abi = typeof shastaInboxAbi | typeof shastaProvedWithCheckpointAbi;

/**
 * A log as a node returns it, built with the real ABI: indexed args into topics
 * (encodeEventTopics), the rest ABI-encoded into data (encodeAbiParameters).
 */
export function shastaLog(
  eventName: string,
  args: Record<string, unknown>,
  options: { abi?: Abi; logIndex?: number; txHash?: Hex } = {},
): ShastaLog {
  const abi = options.abi ?? shastaInboxAbi;
  const event = getAbiItem({ abi: abi as never, name: eventName as never }) as AbiEvent;
  const indexed = Object.fromEntries(
    event.inputs.filter((i) => i.indexed).map((i) => [i.name, args[i.name ?? ""]]),
  );
  const nonIndexed = event.inputs.filter((i) => !i.indexed);
  return {
    address: INBOX,
    topics: encodeEventTopics({ abi: [event], eventName, args: indexed } as never) as Hex[],
    data: encodeAbiParameters(
      nonIndexed,
      nonIndexed.map((i) => args[i.name ?? ""]),
    ),
    blockNumber: 24_000_000,
    blockHash: BLOCK_HASH,
    transactionHash: options.txHash ?? TX,
    logIndex: options.logIndex ?? 7,
  };
}
