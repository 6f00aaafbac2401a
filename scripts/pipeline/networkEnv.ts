import type { Hex } from "viem";
import { watchedAddresses } from "../../lambdas/ingestor/logSources.js";
import { IngestorEnv } from "../../lambdas/shared/environment.js";
import {
  loadTaikoNetwork,
  NETWORK_SETTINGS,
  type TaikoNetwork,
} from "../../lambdas/shared/taiko/networks.js";
import type { DevnetAddresses } from "../devnet/createDevnet.js";

/**
 * The network settings the local handlers read, as a deployment sets them: the devnet is a `custom`
 * network built from what it deployed (its addresses and activation time differ per run), real chains
 * a preset (`--network mainnet|hoodi`) or, for a Pacaya-only inbox, INBOX_ADDRESS.
 */
export function devnetNetworkEnv(a: DevnetAddresses): Record<string, string> {
  return {
    [NETWORK_SETTINGS.network]: "custom",
    [NETWORK_SETTINGS.l1ChainId]: String(a.l1ChainId),
    [NETWORK_SETTINGS.l2ChainId]: String(a.l2ChainId),
    [NETWORK_SETTINGS.l2Anchor]: a.l2Anchor,
    [NETWORK_SETTINGS.pacayaInbox]: a.inbox,
    [NETWORK_SETTINGS.pacayaInboxWrapper]: a.wrapper,
    [NETWORK_SETTINGS.preconfWhitelist]: a.preconfWhitelist,
    ...(a.shasta
      ? {
          [NETWORK_SETTINGS.shastaInbox]: a.shasta.inbox,
          [NETWORK_SETTINGS.shastaActivationTimestamp]: String(a.shasta.activationTimestamp),
        }
      : {}),
  };
}

export function rpcNetworkEnv(rpc: {
  readonly network?: string;
  readonly inbox?: Hex;
  readonly inboxWrapper?: Hex;
}): Record<string, string> {
  if (rpc.network) return { [NETWORK_SETTINGS.network]: rpc.network };
  if (!rpc.inbox) throw new Error("watching real chains needs a network preset or an inbox address");
  return {
    [IngestorEnv.InboxAddress]: rpc.inbox,
    ...(rpc.inboxWrapper ? { [IngestorEnv.InboxWrapperAddress]: rpc.inboxWrapper } : {}),
  };
}

/** What the operator's commands need from an ingestor's environment: the network, and the addresses it watches. */
export function ingestorNetworkOf(env: Readonly<Record<string, string | undefined>>): {
  readonly network?: TaikoNetwork;
  readonly inboxAddresses: Hex[];
} {
  if (env[NETWORK_SETTINGS.network]?.trim()) {
    const network = loadTaikoNetwork(env);
    return { network, inboxAddresses: watchedAddresses(network) };
  }
  return {
    inboxAddresses: [env[IngestorEnv.InboxAddress], env[IngestorEnv.InboxWrapperAddress]].filter(
      (a): a is Hex => Boolean(a),
    ),
  };
}
