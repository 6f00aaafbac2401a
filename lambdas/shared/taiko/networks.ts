import * as z from "zod/mini";
import { IngestorEnv } from "../environment.js";
import { ConfigError } from "../errors.js";

/**
 * Network presets: per fork, the L1 contracts whose logs to decode and when the fork activates.
 * Every mainnet and Hoodi value below was read from taikoxyz/taiko-mono (deployment logs,
 * deployment scripts) or taiko-geth's fork schedule; docs/NETWORKS.md lists where each comes from.
 *
 * Two rules the ingestor relies on:
 * - A contract's logs are decoded by the decoder of the fork that introduced the contract, at any
 *   time: the Pacaya inbox keeps proving and verifying its last batches after Shasta activates
 *   (TaikoInbox only stops *proposals* at the fork), and the Shasta inbox takes bond deposits
 *   before its activate() call. So every preset contract is watched over the whole range.
 * - The fork *in force* at an L1 or L2 time follows the protocol's fork timestamps: Taiko forks on
 *   unix time (taiko-geth ShastaTime/UnzenTime; the L1 SignalServiceForkRouter compares
 *   block.timestamp with the same shastaForkTimestamp), so one boundary serves both chains.
 */

export type Address = `0x${string}`;
export type ForkName = "pacaya" | "shasta" | "unzen";
/** Which log decoder reads a contract: Unzen changed no layout, it only added ForcedInclusionsVoided to the Shasta inbox. */
export type DecoderName = "pacaya" | "shasta";
export type NetworkName = "mainnet" | "hoodi" | "devnet" | "custom";

export interface ForkActivation {
  /** Unix seconds: the first L1/L2 block at or after this time runs the fork. */
  readonly timestamp: number;
  /** The first L1 block of the fork, where known (the devnet knows it; the public presets do not pin one). */
  readonly l1Block?: number;
}

export interface ForkContracts {
  /** Pacaya: TaikoInbox (BatchProposed, BatchesProved, BatchesVerified). Shasta: the Inbox proxy (every Shasta event). */
  readonly inbox: Address;
  /** Pacaya only: TaikoWrapper, which emits ForcedInclusionProcessed. */
  readonly inboxWrapper?: Address;
  /** Pacaya only: the separate ForcedInclusionStore. In Shasta the inbox is the store. */
  readonly forcedInclusionStore?: Address;
  /** PreconfWhitelist (operators per epoch), where the network has one. */
  readonly preconfWhitelist?: Address;
  /** Shasta ProverWhitelist, where the network has one. */
  readonly proverWhitelist?: Address;
}

export interface ForkSpec {
  readonly fork: ForkName;
  readonly decoder: DecoderName;
  readonly activation: ForkActivation;
  readonly contracts: ForkContracts;
}

export interface TaikoNetwork {
  readonly name: NetworkName;
  readonly l1ChainId: number;
  readonly l2ChainId: number;
  /** L2 Anchor proxy: target of each block's first (anchor) transaction. */
  readonly l2Anchor: Address;
  /** Ascending by activation.timestamp; the first fork applies from the start of the watched range. */
  readonly forks: readonly ForkSpec[];
}

const MAINNET_PACAYA: ForkContracts = {
  // deployments/mainnet-contract-logs-L1.md @aa5c1bf427^ (Inbox, taiko_wrapper, forced_inclusion_store)
  inbox: "0x06a9ab27c7e2255df1815e6cc0168d7755feb19a",
  inboxWrapper: "0x9f9d2fc7abe74c79f86f0d1212107692430eef72",
  forcedInclusionStore: "0x05d88855361808fa1d7fc28084ef3fca191c4e03",
  preconfWhitelist: "0xfd019460881e6eec632258222393d5821029b2ac",
};

const MAINNET_SHASTA: ForkContracts = {
  // deployments/mainnet-contract-logs-L1.md @b9c5bb2 (inbox proxy, preconf_whitelist, prover_whitelist)
  inbox: "0x6f21c543a4af5189ebdb0723827577e1ef57ef1f",
  preconfWhitelist: "0xfd019460881e6eec632258222393d5821029b2ac",
  proverWhitelist: "0xea798547d97e345395da071a0d7ed8144cd612ae",
};

export const mainnet: TaikoNetwork = {
  name: "mainnet",
  l1ChainId: 1,
  l2ChainId: 167_000,
  l2Anchor: "0x1670000000000000000000000000000000010001",
  forks: [
    { fork: "pacaya", decoder: "pacaya", activation: { timestamp: 0 }, contracts: MAINNET_PACAYA },
    // script/layer1/core/DeployShastaMainnet.s.sol @3c66b0f8d: shastaForkTimestamp = 1_775_135_700 (2026-04-02 13:15:00 UTC)
    {
      fork: "shasta",
      decoder: "shasta",
      activation: { timestamp: 1_775_135_700 },
      contracts: MAINNET_SHASTA,
    },
    // taiko-geth core/taiko_genesis.go: MainnetUnzenTime = 1_786_021_200 (2026-08-06 13:00:00 UTC); L1 inbox upgraded 2026-08-03
    { fork: "unzen", decoder: "shasta", activation: { timestamp: 1_786_021_200 }, contracts: MAINNET_SHASTA },
  ],
};

const HOODI_PACAYA: ForkContracts = {
  // deployments/taiko-hoodi-contract-logs.md @aa5c1bf427^ (PacayaInbox, taiko_wrapper, forced_inclusion_store)
  inbox: "0xf6ea848c7d7ac83de84db45ae28eabf377fe0ef9",
  inboxWrapper: "0xb843132a26c13d751470a6baf5f926ebf5d0e4b8",
  forcedInclusionStore: "0xa7f175aff7c62854d0a0498a0da17b66a9d452d0",
  preconfWhitelist: "0x8b969fcf37122bc5ecb4e0e5ad65ceec3f1393ba",
};

const HOODI_SHASTA: ForkContracts = {
  // deployments/taiko-hoodi-contract-logs.md @b9c5bb2 (inbox, preconf_whitelist, prover_whitelist)
  inbox: "0xef4bb7a442bd68150a3aa61a6a097b86b91700bf",
  preconfWhitelist: "0x8b969fcf37122bc5ecb4e0e5ad65ceec3f1393ba",
  proverWhitelist: "0xa9a84b6667a2c60bfde8c239918d0d9a11c77e89",
};

export const hoodi: TaikoNetwork = {
  name: "hoodi",
  l1ChainId: 560_048,
  l2ChainId: 167_013,
  l2Anchor: "0x1670130000000000000000000000000000010001",
  forks: [
    { fork: "pacaya", decoder: "pacaya", activation: { timestamp: 0 }, contracts: HOODI_PACAYA },
    // contracts/layer1/alethia-hoodi/AlethiaHoodiInbox.sol @8051523: shastaForkTimestamp 1_770_296_400 (2026-02-05 13:00:00 UTC)
    { fork: "shasta", decoder: "shasta", activation: { timestamp: 1_770_296_400 }, contracts: HOODI_SHASTA },
    // taiko-geth core/taiko_genesis.go: HoodiUnzenTime = 1_781_787_600 (2026-06-18 13:00:00 UTC)
    { fork: "unzen", decoder: "shasta", activation: { timestamp: 1_781_787_600 }, contracts: HOODI_SHASTA },
  ],
};

export interface DevnetNetworkParameters {
  readonly l1ChainId: number;
  readonly l2ChainId: number;
  readonly l2Anchor: Address;
  /** What the devnet deployed for Pacaya (scripts/devnet DevnetAddresses). */
  readonly pacaya: { readonly inbox: Address; readonly inboxWrapper: Address };
  /** The devnet's Shasta inbox and the L1 block/time it activated at, once it has crossed the fork. */
  readonly shasta?: { readonly inbox: Address; readonly activation: Required<ForkActivation> };
}

/** The devnet preset, built from the addresses the devnet deploys (they differ per run). */
export function devnetNetwork(parameters: DevnetNetworkParameters): TaikoNetwork {
  const forks: ForkSpec[] = [
    {
      fork: "pacaya",
      decoder: "pacaya",
      activation: { timestamp: 0, l1Block: 0 },
      contracts: {
        inbox: lowerAddress(parameters.pacaya.inbox),
        inboxWrapper: lowerAddress(parameters.pacaya.inboxWrapper),
      },
    },
  ];
  if (parameters.shasta) {
    forks.push({
      fork: "shasta",
      decoder: "shasta",
      activation: { ...parameters.shasta.activation },
      contracts: { inbox: lowerAddress(parameters.shasta.inbox) },
    });
  }
  return {
    name: "devnet",
    l1ChainId: parameters.l1ChainId,
    l2ChainId: parameters.l2ChainId,
    l2Anchor: lowerAddress(parameters.l2Anchor),
    forks,
  };
}

/** Every setting a custom network reads, in one place (the ingestor, CDK and scripts import these names). */
export const NETWORK_SETTINGS = {
  network: IngestorEnv.Network,
  l1ChainId: "L1_CHAIN_ID",
  l2ChainId: "L2_CHAIN_ID",
  l2Anchor: "L2_ANCHOR_ADDRESS",
  pacayaInbox: "PACAYA_INBOX_ADDRESS",
  pacayaInboxWrapper: "PACAYA_INBOX_WRAPPER_ADDRESS",
  pacayaForcedInclusionStore: "PACAYA_FORCED_INCLUSION_STORE_ADDRESS",
  shastaInbox: "SHASTA_INBOX_ADDRESS",
  shastaActivationTimestamp: "SHASTA_ACTIVATION_TIMESTAMP",
  shastaActivationBlock: "SHASTA_ACTIVATION_BLOCK",
  unzenActivationTimestamp: "UNZEN_ACTIVATION_TIMESTAMP",
  preconfWhitelist: "PRECONF_WHITELIST_ADDRESS",
  proverWhitelist: "PROVER_WHITELIST_ADDRESS",
} as const;

type SettingKey = keyof typeof NETWORK_SETTINGS;
export type Settings = Readonly<Record<string, string | undefined>>;

const addressSchema = z
  .string()
  .check(z.regex(/^0x[0-9a-fA-F]{40}$/, "is not a 0x-prefixed 20-byte hex address"));
const integerSchema = z.string().check(z.regex(/^[0-9]+$/, "is not a non-negative integer"));

const CustomSettingsSchema = z.object({
  l1ChainId: integerSchema,
  l2ChainId: integerSchema,
  l2Anchor: addressSchema,
  pacayaInbox: z.optional(addressSchema),
  pacayaInboxWrapper: z.optional(addressSchema),
  pacayaForcedInclusionStore: z.optional(addressSchema),
  shastaInbox: z.optional(addressSchema),
  shastaActivationTimestamp: z.optional(integerSchema),
  shastaActivationBlock: z.optional(integerSchema),
  unzenActivationTimestamp: z.optional(integerSchema),
  preconfWhitelist: z.optional(addressSchema),
  proverWhitelist: z.optional(addressSchema),
});

/**
 * Read the network from settings once, at cold start: `TAIKO_NETWORK=mainnet|hoodi` picks a preset,
 * `custom` builds one from the settings in NETWORK_SETTINGS. Every problem throws ConfigError
 * naming its setting. (`devnet` is built in process by devnetNetwork, never from settings.)
 */
export function loadTaikoNetwork(settings: Settings): TaikoNetwork {
  const name = settings[NETWORK_SETTINGS.network]?.trim() || "mainnet";
  if (name === "mainnet") return mainnet;
  if (name === "hoodi") return hoodi;
  if (name !== "custom") {
    throw new ConfigError(
      NETWORK_SETTINGS.network,
      `"${name}" is not a network (expected mainnet, hoodi or custom; the devnet is built in process)`,
    );
  }
  return parseCustomNetwork(settings);
}

/** Build and validate a custom network from settings; the first problem found names its setting. */
export function parseCustomNetwork(settings: Settings): TaikoNetwork {
  const raw: Partial<Record<SettingKey, string>> = {};
  for (const [key, setting] of Object.entries(NETWORK_SETTINGS) as [SettingKey, string][]) {
    const value = settings[setting]?.trim();
    if (value) raw[key] = value;
  }
  const parsed = CustomSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as SettingKey | undefined;
    const setting = key ? NETWORK_SETTINGS[key] : NETWORK_SETTINGS.network;
    const problem = issue?.code === "invalid_type" ? "is required" : (issue?.message ?? "is invalid");
    throw new ConfigError(setting, problem);
  }
  const s = parsed.data;
  const int = (key: SettingKey, value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new ConfigError(NETWORK_SETTINGS[key], `"${value}" is too large`);
    return n;
  };
  const forks: ForkSpec[] = [];
  const whitelists = {
    ...(s.preconfWhitelist ? { preconfWhitelist: lowerAddress(s.preconfWhitelist) } : {}),
  };
  if (s.pacayaInbox) {
    forks.push({
      fork: "pacaya",
      decoder: "pacaya",
      activation: { timestamp: 0 },
      contracts: {
        inbox: lowerAddress(s.pacayaInbox),
        ...(s.pacayaInboxWrapper ? { inboxWrapper: lowerAddress(s.pacayaInboxWrapper) } : {}),
        ...(s.pacayaForcedInclusionStore
          ? { forcedInclusionStore: lowerAddress(s.pacayaForcedInclusionStore) }
          : {}),
        ...whitelists,
      },
    });
  } else {
    for (const key of ["pacayaInboxWrapper", "pacayaForcedInclusionStore"] as const) {
      if (s[key]) throw new ConfigError(NETWORK_SETTINGS[key], `needs ${NETWORK_SETTINGS.pacayaInbox}`);
    }
  }
  if (s.shastaInbox) {
    // Without Pacaya the network starts on Shasta, so the activation defaults to the start of time.
    if (s.pacayaInbox && s.shastaActivationTimestamp === undefined) {
      throw new ConfigError(
        NETWORK_SETTINGS.shastaActivationTimestamp,
        `is required when both ${NETWORK_SETTINGS.pacayaInbox} and ${NETWORK_SETTINGS.shastaInbox} are set`,
      );
    }
    const timestamp = s.shastaActivationTimestamp
      ? int("shastaActivationTimestamp", s.shastaActivationTimestamp)
      : 0;
    const l1Block = s.shastaActivationBlock
      ? int("shastaActivationBlock", s.shastaActivationBlock)
      : undefined;
    const contracts: ForkContracts = {
      inbox: lowerAddress(s.shastaInbox),
      ...whitelists,
      ...(s.proverWhitelist ? { proverWhitelist: lowerAddress(s.proverWhitelist) } : {}),
    };
    forks.push({
      fork: "shasta",
      decoder: "shasta",
      activation: l1Block === undefined ? { timestamp } : { timestamp, l1Block },
      contracts,
    });
    if (s.unzenActivationTimestamp) {
      const unzen = int("unzenActivationTimestamp", s.unzenActivationTimestamp);
      if (unzen < timestamp) {
        throw new ConfigError(
          NETWORK_SETTINGS.unzenActivationTimestamp,
          `${unzen} is before ${NETWORK_SETTINGS.shastaActivationTimestamp} ${timestamp}`,
        );
      }
      forks.push({ fork: "unzen", decoder: "shasta", activation: { timestamp: unzen }, contracts });
    }
  } else {
    for (const key of [
      "shastaActivationTimestamp",
      "shastaActivationBlock",
      "unzenActivationTimestamp",
      "proverWhitelist",
    ] as const) {
      if (s[key]) throw new ConfigError(NETWORK_SETTINGS[key], `needs ${NETWORK_SETTINGS.shastaInbox}`);
    }
  }
  if (forks.length === 0) {
    throw new ConfigError(
      NETWORK_SETTINGS.pacayaInbox,
      `a custom network needs ${NETWORK_SETTINGS.pacayaInbox} or ${NETWORK_SETTINGS.shastaInbox}`,
    );
  }
  return {
    name: "custom",
    l1ChainId: int("l1ChainId", s.l1ChainId),
    l2ChainId: int("l2ChainId", s.l2ChainId),
    l2Anchor: lowerAddress(s.l2Anchor),
    forks,
  };
}

/** A point on a chain: by time (always resolvable) or by L1 block (only where the preset pins fork blocks). */
export type ChainPoint = { readonly timestamp: number } | { readonly l1Block: number };

/**
 * The fork in force at an L1 (or L2) point: the last fork whose activation is at or before it.
 * A block number resolves only when every later fork pins its first L1 block; otherwise this
 * throws ConfigError, because guessing a block from a time would misplace the boundary.
 */
export function forkAt(network: TaikoNetwork, point: ChainPoint): ForkSpec {
  let current = network.forks[0];
  if (current === undefined) throw new ConfigError(NETWORK_SETTINGS.network, `${network.name} lists no fork`);
  for (const spec of network.forks.slice(1)) {
    let active: boolean;
    if ("timestamp" in point) active = point.timestamp >= spec.activation.timestamp;
    else {
      if (spec.activation.l1Block === undefined) {
        throw new ConfigError(
          spec.fork === "shasta" ? NETWORK_SETTINGS.shastaActivationBlock : NETWORK_SETTINGS.network,
          `${network.name} does not pin the first L1 block of ${spec.fork}; resolve the fork by block timestamp`,
        );
      }
      active = point.l1Block >= spec.activation.l1Block;
    }
    if (!active) break;
    current = spec;
  }
  return current;
}

/** Which decoder applies at an L1/L2 point (the fork in force). */
export const decoderAt = (network: TaikoNetwork, point: ChainPoint): DecoderName =>
  forkAt(network, point).decoder;

export interface LogSource {
  readonly address: Address;
  readonly decoder: DecoderName;
  /** The fork that introduced the contract. */
  readonly fork: ForkName;
}

/**
 * Every L1 contract whose logs Tidemark decodes, with the decoder for them (deduplicated: Unzen
 * reuses the Shasta inbox). The whitelists are not log sources: their operators are read by calls.
 */
export function logSources(network: TaikoNetwork): LogSource[] {
  const sources = new Map<Address, LogSource>();
  for (const spec of network.forks) {
    const { inbox, inboxWrapper, forcedInclusionStore } = spec.contracts;
    for (const address of [inbox, inboxWrapper, forcedInclusionStore]) {
      if (address && !sources.has(address))
        sources.set(address, { address, decoder: spec.decoder, fork: spec.fork });
    }
  }
  return [...sources.values()];
}

/** The decoder for a log by the contract that emitted it, or undefined when the network does not watch it. */
export function decoderForAddress(network: TaikoNetwork, address: string): DecoderName | undefined {
  const lower = address.toLowerCase();
  return logSources(network).find((s) => s.address === lower)?.decoder;
}

function lowerAddress(value: string): Address {
  return value.toLowerCase() as Address;
}
