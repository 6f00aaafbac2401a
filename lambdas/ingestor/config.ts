import * as z from "zod/mini";
import { IngestorEnv } from "../shared/environment.js";
import { ConfigError } from "../shared/errors.js";
import { type Chain, ChainSchema } from "../shared/events.js";
import { loadTaikoNetwork, type TaikoNetwork } from "../shared/taiko/networks.js";
import { DEFAULT_BUNDLE_BYTES, MIN_BUNDLE_BYTES } from "./publishEntries.js";
import { DEFAULT_PUBLISH_LANES } from "./publisher.js";

/** RPC endpoints per chain; tried in order through viem's `fallback` transport. */
export interface RpcUrls {
  readonly l1: readonly string[];
  readonly l2: readonly string[];
}

/** Where the RPC URLs come from: plain lists (local runs) or a Secrets Manager secret (deployed). */
export type RpcSource =
  | { readonly kind: "urls"; readonly urls: RpcUrls }
  | { readonly kind: "secret"; readonly secretId: string };

export interface IngestorConfig {
  readonly queueUrl: string;
  /** The event queue's DLQ: input the ingestor rejects goes there with its reason. */
  readonly dlqUrl: string | undefined;
  readonly stateTable: string;
  /** Never log this object's `rpc.urls`: provider URLs often embed API keys. */
  readonly rpc: RpcSource;
  /**
   * The network preset (TAIKO_NETWORK: mainnet, hoodi, or custom from its settings): the contracts of
   * every fork and the Shasta activation. Undefined on a Pacaya-only deployment set up with INBOX_ADDRESS.
   */
  readonly network?: TaikoNetwork;
  readonly inboxAddress: `0x${string}` | undefined;
  /** ForcedInclusionProcessed is emitted by the wrapper, not the inbox. */
  readonly inboxWrapperAddress: `0x${string}` | undefined;
  /** First block to ingest when a chain has no cursor yet. */
  readonly startBlock: Readonly<Record<Chain, number>>;
  readonly partitions: number;
  /** SendMessageBatch calls in flight at once, over disjoint message groups (publisher.ts). */
  readonly publishLanes: number;
  /** Largest message that bundles a group's events (publishEntries.ts); 0 = one event per message. */
  readonly publishBundleBytes: number;
  readonly maxBlocksPerRange: number;
  readonly pollIntervalMs: number;
  readonly timeReserveMs: number;
  readonly leaseSeconds: number;
  readonly recentHashes: number;
  readonly maxReorgDepth: number;
  readonly confirmations: number;
  readonly chains: readonly Chain[];
  /** Read receipts for L2 block fees and L1 proposing / proving costs (READ_FEES, default true). */
  readonly readFees: boolean;
  /** Read the preconfirmation operators per epoch from the PreconfWhitelist (READ_PRECONF, default true). */
  readonly readPreconf: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The widest range (MAX_BLOCKS_PER_RANGE's maximum). A range is recorded as pending on the cursor item
 * before it is published (≈ 75 bytes a block): 4,000 blocks keep that item well under DynamoDB's
 * 400 KB limit (10,000 did not fit: the bench).
 */
export const MAX_RANGE_BLOCKS = 4_000;

/** The most block hashes the cursor item remembers (RECENT_HASHES' maximum): its window. */
export const MAX_RECENT_HASHES = 4_096;

/**
 * MAX_REORG_DEPTH's maximum. Within MAX_REORG_DEPTH a reorg below the window is walked back over the
 * published-hash record (publishedHashes.ts); deeper, the chain stops with ReorgTooDeepError (alarmed)
 * and `tidemark repair` re-reads the range against the sink. The orphans of one reorg are split into
 * messages under the processor's cap (reorgEvents.ts), so the bound is the walk's cost, not a size.
 */
export const MAX_REORG_DEPTH = 16_384;

/**
 * Read and validate the environment once (cold start). Pure: the secret, if any,
 * is resolved separately by `resolveRpcUrls`. Every problem names its variable.
 */
export function loadIngestorConfig(env: Env): IngestorConfig {
  const chains = parseChains(env);
  const inboxAddress = optionalAddress(env, IngestorEnv.InboxAddress);
  const network = parseNetwork(env, inboxAddress);
  if (chains.includes("l1") && inboxAddress === undefined && network === undefined) {
    throw new ConfigError(
      IngestorEnv.Network,
      `is required when CHAINS includes l1 (mainnet, hoodi or custom; or ${IngestorEnv.InboxAddress} for a Pacaya-only inbox)`,
    );
  }
  return {
    ...(network ? { network } : {}),
    queueUrl: requiredUrl(env, IngestorEnv.QueueUrl),
    dlqUrl: env[IngestorEnv.DlqUrl]?.trim() ? requiredUrl(env, IngestorEnv.DlqUrl) : undefined,
    stateTable: required(env, IngestorEnv.StateTable),
    rpc: parseRpcSource(env, chains),
    inboxAddress,
    inboxWrapperAddress: optionalAddress(env, IngestorEnv.InboxWrapperAddress),
    startBlock: {
      l1: integer(env, IngestorEnv.L1StartBlock, { default: 0, min: 0 }),
      l2: integer(env, IngestorEnv.L2StartBlock, { default: 0, min: 0 }),
    },
    partitions: integer(env, IngestorEnv.Partitions, { default: 16, min: 1, max: 1000 }),
    // Documented at DEFAULT_PUBLISH_LANES (publisher.ts).
    publishLanes: integer(env, IngestorEnv.PublishLanes, { default: DEFAULT_PUBLISH_LANES, min: 1, max: 64 }),
    publishBundleBytes: bundleBytes(env),
    maxBlocksPerRange: integer(env, IngestorEnv.MaxBlocksPerRange, {
      default: 500,
      min: 1,
      max: MAX_RANGE_BLOCKS,
    }),
    pollIntervalMs: integer(env, IngestorEnv.PollIntervalMs, { default: 1000, min: 0 }),
    timeReserveMs: integer(env, IngestorEnv.TimeReserveMs, { default: 5000, min: 0 }),
    leaseSeconds: integer(env, IngestorEnv.LeaseSeconds, { default: 60, min: 5 }),
    // Two hashes is the least that can find a common ancestor one block down.
    recentHashes: integer(env, IngestorEnv.RecentHashes, { default: 256, min: 2, max: MAX_RECENT_HASHES }),
    // 4,096 blocks: 14 h of L1, 2.3 h of Taiko L2 — past anything but a failure to finalize.
    maxReorgDepth: integer(env, IngestorEnv.MaxReorgDepth, { default: 4_096, min: 0, max: MAX_REORG_DEPTH }),
    confirmations: integer(env, IngestorEnv.Confirmations, { default: 0, min: 0 }),
    chains,
    readFees: flag(env, IngestorEnv.ReadFees, true),
    readPreconf: flag(env, IngestorEnv.ReadPreconf, true),
  };
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === "") return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

const SecretSchema = z.object({
  l1: z._default(z.array(z.string()), []),
  l2: z._default(z.array(z.string()), []),
});

/**
 * The RPC URLs for the configured chains: from the config itself, or from the
 * secret `{"l1":[...],"l2":[...]}`. The secret's content never appears in an error.
 */
export async function resolveRpcUrls(
  config: IngestorConfig,
  fetchSecret: (secretId: string) => Promise<string | undefined>,
): Promise<RpcUrls> {
  if (config.rpc.kind === "urls") return config.rpc.urls;
  const setting = IngestorEnv.RpcUrlsSecretId;
  const raw = await fetchSecret(config.rpc.secretId);
  if (raw === undefined) throw new ConfigError(setting, "the secret has no string value");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(setting, 'the secret is not JSON of the form {"l1":[urls],"l2":[urls]}');
  }
  const parsed = SecretSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(setting, 'the secret is not JSON of the form {"l1":[urls],"l2":[urls]}');
  }
  const urls = { l1: parsed.data.l1, l2: parsed.data.l2 };
  for (const chain of config.chains) {
    if (urls[chain].length === 0) throw new ConfigError(setting, `the secret lists no ${chain} URL`);
    // Name the chain and position only: the URL itself may carry an API key.
    urls[chain].forEach((url, i) => {
      if (!isHttpUrl(url)) throw new ConfigError(setting, `${chain}[${i}] is not an http(s) URL`);
    });
  }
  return urls;
}

/** TAIKO_NETWORK picks the preset (every problem names its setting); INBOX_ADDRESS is the Pacaya-only alternative. */
function parseNetwork(env: Env, inboxAddress: string | undefined): TaikoNetwork | undefined {
  if (!env[IngestorEnv.Network]?.trim()) return undefined;
  if (inboxAddress !== undefined) {
    throw new ConfigError(
      IngestorEnv.InboxAddress,
      `set either ${IngestorEnv.Network} (the preset names the inboxes) or ${IngestorEnv.InboxAddress}, not both`,
    );
  }
  return loadTaikoNetwork(env);
}

function parseChains(env: Env): Chain[] {
  const raw = env[IngestorEnv.Chains] ?? "l1,l2";
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0)
    throw new ConfigError(IngestorEnv.Chains, "lists no chain (expected l1, l2 or l1,l2)");
  const chains: Chain[] = [];
  for (const item of items) {
    const parsed = ChainSchema.safeParse(item);
    if (!parsed.success)
      throw new ConfigError(IngestorEnv.Chains, `unknown chain "${item}" (expected l1 or l2)`);
    if (!chains.includes(parsed.data)) chains.push(parsed.data);
  }
  return chains;
}

function parseRpcSource(env: Env, chains: readonly Chain[]): RpcSource {
  const secretId = env[IngestorEnv.RpcUrlsSecretId]?.trim();
  const hasLists = Boolean(env[IngestorEnv.L1RpcUrls]?.trim() || env[IngestorEnv.L2RpcUrls]?.trim());
  if (secretId && hasLists) {
    throw new ConfigError(
      IngestorEnv.RpcUrlsSecretId,
      "set either RPC_URLS_SECRET_ID or L1_RPC_URLS/L2_RPC_URLS, not both",
    );
  }
  if (secretId) return { kind: "secret", secretId };
  const urls = { l1: urlList(env, IngestorEnv.L1RpcUrls), l2: urlList(env, IngestorEnv.L2RpcUrls) };
  for (const chain of chains) {
    const name = chain === "l1" ? IngestorEnv.L1RpcUrls : IngestorEnv.L2RpcUrls;
    if (urls[chain].length === 0) {
      throw new ConfigError(name, `is required for chain ${chain} (or set RPC_URLS_SECRET_ID)`);
    }
  }
  return { kind: "urls", urls };
}

function urlList(env: Env, name: string): string[] {
  const urls = (env[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  urls.forEach((url, i) => {
    if (!isHttpUrl(url)) throw new ConfigError(name, `entry ${i} is not an http(s) URL`);
  });
  return urls;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, "is required");
  return value;
}

function requiredUrl(env: Env, name: string): string {
  const value = required(env, name);
  if (!isHttpUrl(value)) throw new ConfigError(name, `"${value}" is not an http(s) URL`);
  return value;
}

function optionalAddress(env: Env, name: string): `0x${string}` | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^0x[0-9a-fA-F]{40}$/.test(value))
    throw new ConfigError(name, `"${value}" is not a 20-byte hex address`);
  return value.toLowerCase() as `0x${string}`;
}

function integer(env: Env, name: string, rule: { default: number; min: number; max?: number }): number {
  const raw = env[name]?.trim();
  if (!raw) return rule.default;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a non-negative integer`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new ConfigError(name, `"${raw}" is too large`);
  if (value < rule.min) throw new ConfigError(name, `must be at least ${rule.min}, got ${value}`);
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(name, `must be at most ${rule.max}, got ${value}`);
  }
  return value;
}

/** PUBLISH_BUNDLE_BYTES: 0 (one event per message) or MIN_BUNDLE_BYTES..DEFAULT_BUNDLE_BYTES (the default). */
function bundleBytes(env: Env): number {
  const name = IngestorEnv.PublishBundleBytes;
  const value = integer(env, name, { default: DEFAULT_BUNDLE_BYTES, min: 0, max: DEFAULT_BUNDLE_BYTES });
  if (value !== 0 && value < MIN_BUNDLE_BYTES) {
    throw new ConfigError(name, `must be 0 (no bundles) or at least ${MIN_BUNDLE_BYTES}, got ${value}`);
  }
  return value;
}
