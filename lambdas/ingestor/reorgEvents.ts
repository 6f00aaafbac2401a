import { type Chain, MAX_MESSAGE_BYTES, type ReorgEvent, SCHEMA_VERSION } from "../shared/events.js";
import type { RecentBlock } from "./cursorStore.js";

export interface BuildReorgEventsParameters {
  readonly chain: Chain;
  readonly commonAncestor: RecentBlock;
  /** Blocks of the old branch (published before) that the chain no longer holds. */
  readonly orphaned: readonly RecentBlock[];
  /** Blocks of the new branch above the common ancestor: canonical (again) from this seq on. */
  readonly restored: readonly RecentBlock[];
  /** The chain's reorg sequence number, reserved on the cursor before publishing. */
  readonly seq: number;
  readonly newHead: RecentBlock;
  /** Epoch seconds. */
  readonly detectedAt: number;
  /** The processor's body cap (validateRecord.ts). @default MAX_MESSAGE_BYTES */
  readonly maxBytes?: number;
}

/**
 * One reorg as messages that each fit the processor's cap: the orphaned, then the restored blocks, in as
 * few parts as fit, all sharing `seq` (a later part of one seq wins over an earlier one, so a hash is
 * never in two parts: the lists are disjoint). One part carries no `part` field.
 */
export function buildReorgEvents(parameters: BuildReorgEventsParameters): ReorgEvent[] {
  const maxBytes = parameters.maxBytes ?? MAX_MESSAGE_BYTES;
  const restoredHashes = new Set(parameters.restored.map((b) => b.hash));
  const orphaned = parameters.orphaned.filter((b) => !restoredHashes.has(b.hash));
  const envelope = (part?: { index: number; count: number }): ReorgEvent => ({
    v: SCHEMA_VERSION,
    type: "reorg",
    chain: parameters.chain,
    commonAncestor: ref(parameters.commonAncestor),
    depth: orphaned.length,
    orphaned: [],
    restored: [],
    seq: parameters.seq,
    ...(part ? { part } : {}),
    newHead: ref(parameters.newHead),
    detectedAt: parameters.detectedAt,
  });
  // Room for the widest part field there can be, so the count is known only after packing.
  const room = maxBytes - Buffer.byteLength(JSON.stringify(envelope({ index: 99_999, count: 99_999 })));
  const items = [
    ...orphaned.map((b) => ({ list: "orphaned" as const, block: ref(b) })),
    ...parameters.restored.map((b) => ({ list: "restored" as const, block: ref(b) })),
  ];
  const parts: (typeof items)[] = [];
  let current: typeof items = [];
  let used = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item.block)) + 1;
    if (bytes > room) throw new Error(`a reorg block reference of ${bytes} bytes cannot fit ${maxBytes}`);
    if (used + bytes > room) {
      parts.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += bytes;
  }
  if (current.length > 0) parts.push(current);
  return parts.map((share, index) => {
    const event = envelope(parts.length > 1 ? { index, count: parts.length } : undefined);
    return {
      ...event,
      orphaned: share.filter((i) => i.list === "orphaned").map((i) => i.block),
      restored: share.filter((i) => i.list === "restored").map((i) => i.block),
    };
  });
}

function ref(block: RecentBlock): RecentBlock {
  return { number: block.number, hash: block.hash };
}
