import type { Hex } from "viem";
import { ProviderBehindError, ReorgTooDeepError, RpcError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";
import { SANE_TIMESTAMP } from "../shared/shastaEvents.js";
import {
  type BlockHeader,
  type ChainClient,
  type ChainLog,
  getBlockLogs,
  getChainLogs,
  getHead,
  getHeadersByNumber,
} from "./chainReader.js";
import type { RecentBlock } from "./cursorStore.js";
import { createBloomFilter } from "./logBloom.js";
import type { Rejection } from "./rejections.js";

/** The largest block timestamp the event schema takes (2100-01-01, in seconds); beyond it a node is wrong. */
export const MAX_BLOCK_TIMESTAMP = SANE_TIMESTAMP.max;

export interface ReadRangeParameters {
  readonly chain: Chain;
  /** The first block not yet published and the canonical blocks below it (the cursor's window). */
  readonly base: { readonly next: number; readonly recent: readonly RecentBlock[] };
  /** Blocks published past `base.next` by an interrupted attempt. */
  readonly pending: readonly RecentBlock[];
  readonly maxBlocksPerRange: number;
  readonly confirmations: number;
  readonly toBlock?: number;
  readonly inboxAddresses: readonly Hex[];
  readonly eventTopics: readonly Hex[];
  /**
   * False on the first pass: a header with an out-of-range timestamp makes this provider's answer wrong
   * (the next one is tried). True once every provider gave it: the header is rejected, the chain goes on.
   */
  readonly containBadTimestamps: boolean;
  readonly onSplit?: () => void;
  /**
   * What was published below the window (publishedHashes.ts), to walk a deeper reorg back. Absent, a
   * reorg below the window stops the chain (ReorgTooDeepError).
   */
  readonly published?: PublishedBelow;
}

/** The published hashes below the cursor's window, and how deep a reorg may be walked back. */
export interface PublishedBelow {
  readonly maxReorgDepth: number;
  /** The recorded hashes at heights `from … to`, ascending; heights not recorded are left out. */
  read(from: number, to: number): Promise<RecentBlock[]>;
}

export interface RangeRead {
  readonly latest: BlockHeader;
  /** Chain head minus confirmations. */
  readonly head: number;
  /** The last block this poll may read: the head, or `toBlock` when lower. */
  readonly end: number;
  /** Where the range starts: the cursor, or the common ancestor after a reorg. */
  readonly base: { readonly next: number; readonly recent: readonly RecentBlock[] };
  readonly to: number;
  readonly headers: readonly BlockHeader[];
  /** Set when this provider proves a reorg: the highest block both branches share. */
  readonly ancestor: RecentBlock | undefined;
  /** Published blocks the chain no longer holds (from the window and from pending). */
  readonly orphaned: readonly RecentBlock[];
  /** Pending blocks above this provider's view: still unproven either way, kept pending. */
  readonly stillPending: readonly RecentBlock[];
  readonly logs: readonly ChainLog[];
  /** Blocks the chain must not stop on: published without them, each with its reason. */
  readonly rejections: readonly Rejection[];
  /** Blocks whose bloom showed logs the range answer lacked: re-read by hash. */
  readonly logsRefetched: number;
}

/**
 * Everything one poll needs, read from one provider: its head, where its chain meets the one we
 * published, the next range of headers, the fate of pending blocks and the range's inbox logs. A provider
 * that cannot serve what we already published throws ProviderBehindError; only a different hash at a
 * published height, linked by parent hashes down to a block we share, is a reorg.
 */
export async function readRange(provider: ChainClient, parameters: ReadRangeParameters): Promise<RangeRead> {
  const { chain, confirmations, toBlock } = parameters;
  const latest = await getHead(provider);
  const head = latest.number - confirmations;
  const end = toBlock === undefined ? head : Math.min(head, toBlock);
  const found = await reconcile(provider, publishedView(chain, parameters), latest.number);
  const pending = await sortPending(provider, parameters.pending, [], latest.number);
  const revisit = found.ancestor ? undefined : revisitBelow(parameters.base, pending.stale);
  const base = found.ancestor
    ? { next: found.ancestor.number + 1, recent: found.below }
    : (revisit ?? parameters.base);
  const to = Math.min(end, base.next + parameters.maxBlocksPerRange - 1);
  const fetched = await getHeadersByNumber(provider, { numbers: range(base.next, to) });
  const headers = fetched.map((header, i) => {
    if (!header) throw new ProviderBehindError(`${chain} block ${base.next + i} is not on this provider yet`);
    return header;
  });
  assertLinked(chain, base.recent.at(-1), headers);
  const rejections = checkTimestamps(chain, headers, parameters.containBadTimestamps);
  const logs = await readLogs(provider, parameters, headers, rejections);
  return {
    latest,
    head,
    end,
    base,
    to,
    headers,
    ancestor:
      found.ancestor ?? (pending.stale.length > 0 ? await ancestorOf(provider, base, headers) : undefined),
    orphaned: uniqueBlocks([...found.orphaned, ...pending.stale]),
    stillPending: pending.unproven,
    logs: logs.logs,
    rejections,
    logsRefetched: logs.refetched,
  };
}

/**
 * Where this provider's chain meets ours. Compared at our last published block, or at the provider's head
 * when that is lower: the same hash there means no reorg (and, lower, a provider that is behind).
 */
async function reconcile(
  provider: ChainClient,
  ours: PublishedView,
  headNumber: number,
): Promise<{ ancestor: RecentBlock | undefined; orphaned: RecentBlock[]; below: RecentBlock[] }> {
  const { chain, last } = ours;
  if (!last) return { ancestor: undefined, orphaned: [], below: [] };
  const top = Math.min(last.number, headNumber);
  const [theirs] = await getHeadersByNumber(provider, { numbers: [top] });
  if (!theirs)
    throw new ProviderBehindError(
      `${chain} block ${top} is not on this provider (its head is ${headNumber})`,
    );
  if ((await ours.hashAt(top)) === theirs.hash) {
    if (top < last.number) {
      throw new ProviderBehindError(
        `${chain} provider head ${headNumber} is below our last block ${last.number}`,
      );
    }
    return { ancestor: undefined, orphaned: [], below: [] };
  }
  const ancestor = await findCommonAncestor(provider, { ours, from: theirs });
  const known = ours.blocks();
  return {
    ancestor,
    orphaned: known.filter((b) => b.number > ancestor.number),
    below: known.filter((b) => b.number <= ancestor.number),
  };
}

/**
 * Our published chain as far down as a reorg may be walked: the cursor's window, extended below it from
 * the published-hash record on demand (one read per step), never below `floor`.
 */
export interface PublishedView {
  readonly chain: Chain;
  readonly last: RecentBlock | undefined;
  /** The deepest common ancestor allowed: the window's first block, or MAX_REORG_DEPTH under `last`. */
  readonly floor: number;
  /** Our hash at `number`; throws ReorgTooDeepError below `floor` or where nothing was recorded. */
  hashAt(number: number): Promise<Hex | undefined>;
  /** Every block known so far, ascending and contiguous. */
  blocks(): RecentBlock[];
  /** The error for a reorg that reaches below `floor` (or below what was recorded). */
  tooDeep(at: number, unrecorded?: { from: number; to: number }): ReorgTooDeepError;
}

/** Heights read from the published-hash record per step of a walk below the window. */
const RECORD_STEP = 256;

export function publishedView(
  chain: Chain,
  { base, published }: Pick<ReadRangeParameters, "base" | "published">,
): PublishedView {
  const { recent } = base;
  const last = recent.at(-1);
  let known = [...recent];
  const hashes = new Map(recent.map((b) => [b.number, b.hash]));
  const lowest = () => known[0]?.number ?? base.next;
  // The deepest ancestor allowed: maxReorgDepth below our last block (the window always counts).
  const floor = Math.max(0, Math.min(lowest(), (last?.number ?? 0) - (published?.maxReorgDepth ?? 0)));
  const view: PublishedView = {
    chain,
    last,
    floor,
    async hashAt(number) {
      while (number < lowest()) {
        const to = lowest() - 1;
        if (!published || number < floor) throw view.tooDeep(number);
        const got = await published.read(Math.max(floor, to - RECORD_STEP + 1), to);
        // Only the run that reaches down without a hole: a hole would read as "not published", and
        // orphans there would stay canonical. (Below the first block ever published there is nothing.)
        let k = got.length;
        while (k > 0 && got[k - 1]?.number === to - (got.length - k)) k--;
        const run = got.slice(k);
        if (run.length === 0 || (run[0] as RecentBlock).number > number)
          throw view.tooDeep(number, { from: number, to });
        for (const b of run) hashes.set(b.number, b.hash);
        known = [...run, ...known];
      }
      return hashes.get(number);
    },
    blocks: () => known,
    tooDeep(at, unrecorded) {
      const oldest = known[0];
      const why = unrecorded
        ? `the published hashes of blocks ${unrecorded.from}..${unrecorded.to} are not recorded`
        : published
          ? `it reaches below block ${floor}, MAX_REORG_DEPTH (${published.maxReorgDepth}) under our last block`
          : `it reaches below the ${known.length} block hashes the cursor remembers (from ${oldest?.number ?? at})`;
      return new ReorgTooDeepError(
        `${chain} reorg not walked back: ${why}. Run \`tidemark repair --chain ${chain} --from <a block below the fork>\` (docs/DEPLOYMENT.md, "Deep reorg")`,
        { context: { chain, oldestKnown: oldest, floor, divergedAt: at } },
      );
    },
  };
  return view;
}

export interface FindCommonAncestorParameters {
  /** Our published chain (publishedView). */
  readonly ours: PublishedView;
  /** The provider's block at a height where it differs from ours. */
  readonly from: BlockHeader;
  /** Headers per JSON-RPC batch. @default 32 */
  readonly chunkSize?: number;
}

/**
 * Walk the provider's chain down from `from` by parent hash until it meets one of our blocks: through
 * the window, then below it over the published-hash record, down to the deepest reorg allowed. A gap or
 * a broken link is a provider that is behind or inconsistent, never a deeper reorg.
 */
export async function findCommonAncestor(
  provider: ChainClient,
  { ours, from, chunkSize = 32 }: FindCommonAncestorParameters,
): Promise<RecentBlock> {
  let child = from;
  for (let top = from.number - 1; ; top -= chunkSize) {
    if (top < ours.floor) throw ours.tooDeep(top);
    const numbers = range(Math.max(ours.floor, top - chunkSize + 1), top).reverse();
    const headers = await getHeadersByNumber(provider, { numbers });
    for (const header of headers) {
      // Invariant: every block walked is the parent of the one above it, so the walk stays on one branch.
      if (!header || header.hash !== child.parentHash) {
        throw new ProviderBehindError(
          `${ours.chain} block ${child.number - 1} on this provider is not the parent of ${child.number} ${child.hash}`,
        );
      }
      if ((await ours.hashAt(header.number)) === header.hash)
        return { number: header.number, hash: header.hash };
      child = header;
    }
  }
}

/** Invariant: the published chain is linked by parent hash, from the cursor's last block through the range. */
function assertLinked(chain: Chain, last: RecentBlock | undefined, headers: readonly BlockHeader[]): void {
  let previous = last;
  for (const header of headers) {
    if (previous && (header.parentHash !== previous.hash || header.number !== previous.number + 1)) {
      throw new RpcError(
        `${chain} block ${header.number} does not link to ${previous.number} ${previous.hash}: the chain moved during the read, retrying next poll`,
      );
    }
    previous = header;
  }
}

function checkTimestamps(chain: Chain, headers: readonly BlockHeader[], contain: boolean): Rejection[] {
  const rejections: Rejection[] = [];
  for (const header of headers) {
    if (header.timestamp >= 0 && header.timestamp <= MAX_BLOCK_TIMESTAMP) continue;
    const reason = `${chain} block ${header.number} ${header.hash} has timestamp ${header.timestamp < 0 ? "beyond 2^53" : header.timestamp}, outside 0..${MAX_BLOCK_TIMESTAMP}`;
    if (!contain) throw new ProviderBehindError(reason);
    rejections.push({
      kind: "invalid_header",
      chain,
      blockNumber: header.number,
      blockHash: header.hash,
      reason,
    });
  }
  return rejections;
}

/**
 * Where to re-read from when pending blocks below the cursor are stale. Such a block was published by an
 * attempt that read a new branch below the cursor, so it published a reorg, then died (or lost its lease)
 * before moving the cursor. That reorg orphaned the window's blocks from that height up; if the chain has
 * flipped back to them (A→B→A), the window still agrees with the chain and no reorg is seen, so nothing
 * would restore them. Re-reading from the lowest stale height makes this poll a reorg there: its blocks are
 * published as restored, under a later seq than the dead attempt's orphan marks (heights past this range
 * are restored by the next polls, as every re-read block at or below the cursor's high water is).
 */
function revisitBelow(
  base: ReadRangeParameters["base"],
  stale: readonly RecentBlock[],
): ReadRangeParameters["base"] | undefined {
  const below = stale.filter((b) => b.number < base.next).map((b) => b.number);
  if (below.length === 0) return undefined;
  const from = Math.min(...below);
  return { next: from, recent: base.recent.filter((b) => b.number < from) };
}

/** Pending blocks this provider shows replaced (stale), or cannot yet judge (above its head). */
async function sortPending(
  provider: ChainClient,
  pending: readonly RecentBlock[],
  headers: readonly BlockHeader[],
  headNumber: number,
): Promise<{ stale: RecentBlock[]; unproven: RecentBlock[] }> {
  const current = new Map<number, Hex | null>(headers.map((h) => [h.number, h.hash]));
  const judged = pending.filter((b) => b.number <= headNumber);
  const unknown = [...new Set(judged.map((b) => b.number).filter((n) => !current.has(n)))];
  if (unknown.length > 0) {
    const fetched = await getHeadersByNumber(provider, { numbers: unknown });
    unknown.forEach((n, i) => {
      const header = fetched[i];
      if (!header) throw new ProviderBehindError(`block ${n} is below this provider's head but not on it`);
      current.set(n, header.hash);
    });
  }
  return {
    stale: judged.filter((b) => current.get(b.number) !== b.hash),
    unproven: pending.filter((b) => b.number > headNumber),
  };
}

/**
 * The range's inbox logs, proven complete: a block whose bloom allows an inbox log but got none in the
 * range answer (a node that has not indexed it answers `[]`) is read again by hash (EIP-234), which a node
 * without the block answers with an error. Blocks whose logs do not fit one answer become rejections.
 */
async function readLogs(
  provider: ChainClient,
  parameters: ReadRangeParameters,
  headers: readonly BlockHeader[],
  rejections: Rejection[],
): Promise<{ logs: ChainLog[]; refetched: number }> {
  const { chain, inboxAddresses: addresses, eventTopics } = parameters;
  const first = headers[0];
  const last = headers.at(-1);
  if (addresses.length === 0 || !first || !last) return { logs: [], refetched: 0 };
  const oversized = new Set<number>();
  const logs = await getChainLogs(provider, {
    addresses,
    eventTopics,
    fromBlock: first.number,
    toBlock: last.number,
    onSplit: parameters.onSplit,
    onOversizedBlock: (blockNumber, reason) => {
      oversized.add(blockNumber);
      const blockHash = headers.find((h) => h.number === blockNumber)?.hash;
      rejections.push({ kind: "oversized_logs", chain, blockNumber, blockHash, reason });
    },
  });
  const byNumber = new Map(headers.map((h) => [h.number, h]));
  for (const log of logs) {
    // Headers and logs come from one provider but separate requests: both must describe the same blocks.
    if (byNumber.get(log.blockNumber)?.hash !== log.blockHash) {
      throw new RpcError(
        `${chain} log ${log.transactionHash}#${log.logIndex} is from block ${log.blockNumber} ${log.blockHash}, but that block is now ${byNumber.get(log.blockNumber)?.hash ?? "outside the range"}; the chain moved, retrying next poll`,
      );
    }
  }
  const answered = new Set(logs.map((l) => l.blockNumber));
  const mayHoldLogs = createBloomFilter({ addresses, eventTopics });
  const suspect = headers.filter((h) => {
    if (answered.has(h.number) || oversized.has(h.number)) return false;
    if (!h.logsBloom) throw new RpcError(`${chain} block ${h.number} came without a logsBloom`);
    return mayHoldLogs(h.logsBloom);
  });
  const extra: ChainLog[] = [];
  for (const header of suspect) {
    extra.push(...(await getBlockLogs(provider, { addresses, eventTopics, blockHash: header.hash })));
  }
  const all = extra.length === 0 ? logs : [...logs, ...extra];
  all.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  return { logs: all, refetched: suspect.length };
}

/** The canonical block just below the range: the window's last one, the first header's parent, or read. */
async function ancestorOf(
  provider: ChainClient,
  base: { next: number; recent: readonly RecentBlock[] },
  headers: readonly BlockHeader[],
): Promise<RecentBlock> {
  const last = base.recent.at(-1);
  if (last) return last;
  const first = headers[0];
  if (first) return { number: first.number - 1, hash: first.parentHash };
  const number = Math.max(0, base.next - 1);
  const [below] = await getHeadersByNumber(provider, { numbers: [number] });
  if (!below) throw new ProviderBehindError(`block ${number} is not on this provider`);
  return { number, hash: below.hash };
}

export function uniqueBlocks(blocks: readonly RecentBlock[]): RecentBlock[] {
  const seen = new Set<string>();
  return blocks.filter((b) => !seen.has(b.hash) && seen.add(b.hash) !== undefined);
}

export function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
