import type { Hex } from "viem";
import type { Chain } from "../shared/events.js";
import type { RecentBlock } from "./cursorStore.js";

/**
 * What the ingestor published at each height below its recent-hash window, so that a reorg deeper than
 * the window can be walked back to the common ancestor (readRange.ts) and every orphan named.
 *
 * Kept in the state table beside the cursor, not read from the sink: the ingestor already holds that
 * table (its role, its lease), a look-up is one BatchGetItem, and the record is bounded — a ring of
 * `ceil(maxReorgDepth / blocksPerItem) + 2` items per chain, each written once per `blocksPerItem`
 * blocks (when the cursor completes it). The sink may be Firehose→Iceberg, which only Athena can
 * query (seconds and a per-query charge): fine for `tidemark repair`, not for a poll.
 */
export interface PublishedHashes {
  /** How far below the last published block a reorg is walked back; deeper, the chain stops (repair). */
  readonly maxReorgDepth: number;
  /**
   * Record the hashes just published: `blocks` is the cursor's new window (contiguous, ending at the
   * range's last block), `since` the range's first block. Items the range completes are written, each
   * only while `fence` still holds the cursor, before the cursor moves past them.
   */
  record(chain: Chain, blocks: readonly RecentBlock[], since: number, fence: CursorFence): Promise<void>;
  /** The recorded hashes at heights `from … to`, ascending; heights not recorded are left out. */
  read(chain: Chain, from: number, to: number): Promise<RecentBlock[]>;
}

/** The cursor as this writer last saw it: a write lands only while the lease is ours and `next` is this. */
export interface CursorFence {
  readonly owner: string;
  readonly expectedNext: number | undefined;
}

/** One stored item: hashes published at heights `from …`, all within item `index` (`index · blocksPerItem …`). */
export interface HashItem {
  readonly index: number;
  readonly blocksPerItem: number;
  readonly from: number;
  readonly hashes: readonly Hex[];
}

/** Where the items live (DynamoDB: dynamoHashItems.ts; tests: memory). */
export interface HashItemStore {
  /** The items in these ring slots; empty slots are left out. */
  get(chain: Chain, slots: readonly number[]): Promise<HashItem[]>;
  /** Write one slot; throws CursorConflictError unless `fence` still holds the chain's cursor. */
  put(chain: Chain, slot: number, item: HashItem, fence: CursorFence): Promise<void>;
}

export interface CreatePublishedHashesParameters {
  readonly items: HashItemStore;
  readonly maxReorgDepth: number;
  /** Hashes per item (32 bytes each). @default 256 (8 KiB: one write per 256 blocks) */
  readonly blocksPerItem?: number;
}

export const DEFAULT_BLOCKS_PER_ITEM = 256;

export function createPublishedHashes(parameters: CreatePublishedHashesParameters): PublishedHashes {
  const { items, maxReorgDepth } = parameters;
  const size = parameters.blocksPerItem ?? DEFAULT_BLOCKS_PER_ITEM;
  if (!Number.isSafeInteger(size) || size < 1) throw new Error(`blocksPerItem must be ≥ 1, got ${size}`);
  // Two spare slots: the item being filled and the one the window still covers.
  const ring = Math.ceil(maxReorgDepth / size) + 2;
  const slotOf = (index: number) => index % ring;
  // An item from another index (the ring moved on) or another size (settings changed) holds nothing here.
  const holds = (item: HashItem | undefined, index: number): item is HashItem =>
    item !== undefined && item.index === index && item.blocksPerItem === size;

  const readItems = async (chain: Chain, indexes: readonly number[]) => {
    const found = await items.get(chain, [...new Set(indexes.map(slotOf))]);
    return new Map(indexes.map((i) => [i, found.find((item) => holds(item, i))]));
  };

  return {
    maxReorgDepth,

    async record(chain, blocks, since, fence) {
      const first = blocks[0];
      const last = blocks.at(-1);
      if (!first || !last) return;
      const byNumber = new Map(blocks.map((b) => [b.number, b.hash]));
      // Items whose last height this range published: complete now, written once.
      const completed: number[] = [];
      for (let i = Math.floor(since / size); (i + 1) * size - 1 <= last.number; i++) {
        if ((i + 1) * size - 1 >= since) completed.push(i);
      }
      // A window shorter than an item misses its first heights: they come from what is stored.
      const short = completed.filter((i) => i * size < first.number);
      const stored = short.length > 0 ? await readItems(chain, short) : new Map<number, HashItem>();
      for (const index of completed) {
        const heights = Array.from({ length: size }, (_, k) => index * size + k);
        const old = stored.get(index);
        const hashAt = (n: number) =>
          byNumber.get(n) ?? (old && n >= old.from ? old.hashes[n - old.from] : undefined);
        // Only a contiguous run up to the item's end is kept: a hole would read as published.
        let from = heights.length;
        while (from > 0 && hashAt(heights[from - 1] as number) !== undefined) from--;
        const kept = heights.slice(from);
        if (kept.length === 0) continue;
        const item = {
          index,
          blocksPerItem: size,
          from: kept[0] as number,
          hashes: kept.map((n) => hashAt(n) as Hex),
        };
        await items.put(chain, slotOf(index), item, fence);
      }
    },

    async read(chain, from, to) {
      if (to < from) return [];
      const indexes: number[] = [];
      for (let i = Math.floor(from / size); i <= Math.floor(to / size); i++) indexes.push(i);
      const found = await readItems(chain, indexes);
      const out: RecentBlock[] = [];
      for (const index of indexes) {
        const item = found.get(index);
        if (!item) continue;
        item.hashes.forEach((hash, k) => {
          const number = item.from + k;
          if (number >= from && number <= to) out.push({ number, hash });
        });
      }
      return out;
    },
  };
}
