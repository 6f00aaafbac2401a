import type { Hex } from "viem";
import type { Chain } from "../shared/events.js";
import type { IngestorConfig } from "./config.js";
import type { IngestChainSettings } from "./ingestChain.js";
import { watchedAddresses } from "./logSources.js";

/** The inbox contracts whose logs the ingestor reads on L1: the network's, or the configured addresses. */
export function watchedInboxAddresses(config: IngestorConfig): Hex[] {
  return config.network
    ? watchedAddresses(config.network)
    : [config.inboxAddress, config.inboxWrapperAddress].filter((a): a is Hex => a !== undefined);
}

/** What one chain's poll reads, from the ingestor's configuration: the scheduled poll and the smoke test's dry run alike. */
export function chainSettings(
  config: IngestorConfig,
  chain: Chain,
  inboxAddresses: readonly Hex[],
  toBlock?: number,
): IngestChainSettings {
  return {
    startBlock: config.startBlock[chain],
    maxBlocksPerRange: config.maxBlocksPerRange,
    confirmations: config.confirmations,
    inboxAddresses: chain === "l1" ? inboxAddresses : [],
    ...(config.network ? { network: config.network } : {}),
    readFees: config.readFees,
    readPreconf: config.readPreconf,
    toBlock,
  };
}
