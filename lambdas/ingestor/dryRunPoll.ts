import type { Hex } from "viem";
import type { Chain } from "../shared/events.js";
import { type ChainClient, getHead } from "./chainReader.js";
import { chainSettings } from "./chainSettings.js";
import type { IngestorConfig } from "./config.js";
import type { CursorStore } from "./cursorStore.js";
import { ingestChain } from "./ingestChain.js";
import { createMemoryCursorStore } from "./memoryCursorStore.js";
import type { IngestorLogger } from "./observability.js";

export interface DryRunPollParameters {
  readonly chain: Chain;
  readonly client: ChainClient;
  readonly config: IngestorConfig;
  readonly inboxAddresses: readonly Hex[];
  /** The live cursor store: read once, never written. */
  readonly store: CursorStore;
  readonly logger: IngestorLogger;
  /** Blocks past the live cursor to read. @default 8 */
  readonly blocks?: number;
  readonly now?: () => number;
}

/** Thrown when the dry run decoded input the live poll would dead-letter: this version cannot read the chain. */
export class DryRunRejectedError extends Error {
  override readonly name = "DryRunRejectedError";
}

/**
 * The new version's next poll, without its effects: the blocks just past the live cursor (or the head,
 * when caught up) read and decoded by the same `ingestChain` the schedule runs — one provider,
 * parent linkage, bloom checks, fork-aware decoding — against the real RPC, on an in-memory copy of
 * the cursor, publishing nothing. The pre-traffic hook runs it, so a version that cannot read or
 * decode today's chain never gets traffic (the 10 % canary alone would see half an invocation).
 * Resolves with a one-line summary; rejects when a provider fails or input would be rejected.
 */
export async function dryRunPoll(p: DryRunPollParameters): Promise<string> {
  const now = p.now ?? Date.now;
  const live = await p.store.read(p.chain);
  const memory = createMemoryCursorStore({
    leaseSeconds: p.config.leaseSeconds,
    recentHashes: p.config.recentHashes,
  });
  const head = (await getHead(p.client)).number - p.config.confirmations;
  const blocks = p.blocks ?? 8;
  // Caught up (or nothing ingested yet): the last blocks below the head, read as a fresh start would.
  const next = live.next !== undefined && live.next <= head ? live.next : Math.max(0, head - blocks + 1);
  const seeded = live.next === next ? { ...live, lease: undefined } : { next, recent: [], lease: undefined };
  memory.seed(p.chain, seeded);
  const owner = "smoke-test";
  const cursor = await memory.acquireLease(p.chain, owner, now());
  const toBlock = Math.min(head, next + blocks - 1);
  let published = 0;
  const rejected: string[] = [];
  const result = await ingestChain({
    chain: p.chain,
    client: p.client,
    store: memory,
    owner,
    cursor,
    settings: { ...chainSettings(p.config, p.chain, p.inboxAddresses, toBlock), startBlock: next },
    publish: async (events) => {
      published += events.length;
    },
    reject: async (rejections) => {
      rejected.push(...rejections.map((r) => `block ${r.blockNumber}: ${r.reason.slice(0, 200)}`));
    },
    metrics: { record: () => undefined },
    logger: p.logger,
    now,
  });
  if (rejected.length > 0)
    throw new DryRunRejectedError(
      `read ${next}..${toBlock} but would dead-letter ${rejected.length}: ${rejected[0]}`,
    );
  return `read ${next}..${toBlock}: ${result.blocks} blocks, ${result.inboxEvents} inbox events, ${published} events decoded, nothing published`;
}
