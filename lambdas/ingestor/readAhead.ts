import type { Chain } from "../shared/events.js";
import type { Cursor, RecentBlock } from "./cursorStore.js";
import type { IngestorLogger } from "./observability.js";
import type { RangeRead } from "./readRange.js";

/** The cursor fields a range's read depends on: where it starts, the last block it must link to, what is pending. */
export interface ReadBase {
  readonly next: number;
  readonly recent: readonly RecentBlock[];
  readonly pending: readonly RecentBlock[];
}

/**
 * The next range's read, started while this range publishes: a read only, of the cursor this range
 * will write. Nothing of it is published until `takeReadAhead` has checked it against the cursor
 * actually written.
 */
export interface ReadAhead {
  /** The cursor the read was made for. */
  readonly base: ReadBase;
  /** Settles to undefined when the read failed or found every provider behind (the next poll re-reads). */
  readonly read: Promise<RangeRead | undefined>;
}

/** Start reading from `base` now; a failure is kept for the re-read to meet, never thrown from here. */
export function startReadAhead(
  base: ReadBase,
  readFrom: (base: ReadBase) => Promise<RangeRead | undefined>,
): ReadAhead {
  return { base, read: readFrom(base).catch(() => undefined) };
}

/**
 * The read-ahead if it is exactly the read this poll would make: started from this cursor (same next,
 * same last block, same pending blocks), linked to the cursor's last block, and showing no reorg. Any
 * difference — a reorg seen during the overlap, a cursor another owner moved, a failed read — discards
 * it (undefined), and the poll reads again as it would have without one, so a reorg is handled exactly
 * as it is without reading ahead.
 */
export async function takeReadAhead(
  ahead: ReadAhead | undefined,
  cursor: Cursor,
  { chain, logger }: { readonly chain: Chain; readonly logger: IngestorLogger },
): Promise<RangeRead | undefined> {
  if (!ahead) return undefined;
  const read = await ahead.read;
  const last = cursor.recent.at(-1);
  const reason = !read
    ? "the read failed or every provider was behind"
    : cursor.next !== ahead.base.next ||
        !sameBlock(last, ahead.base.recent.at(-1)) ||
        !sameBlocks(cursor.pending ?? [], ahead.base.pending)
      ? "the cursor is not the one the read was made for"
      : read.ancestor !== undefined || read.orphaned.length > 0
        ? "it shows a reorg"
        : last !== undefined && read.headers[0] !== undefined && read.headers[0].parentHash !== last.hash
          ? "its first block does not link to the cursor's last"
          : undefined;
  if (reason !== undefined || !read) {
    logger.info("read-ahead discarded; reading again", { chain, next: ahead.base.next, reason });
    return undefined;
  }
  // Invariant: with no reorg, a read's base is the cursor it started from; take the one written.
  return { ...read, base: { next: ahead.base.next, recent: cursor.recent } };
}

const sameBlock = (a: RecentBlock | undefined, b: RecentBlock | undefined): boolean =>
  a?.number === b?.number && a?.hash === b?.hash;

const sameBlocks = (a: readonly RecentBlock[], b: readonly RecentBlock[]): boolean =>
  a.length === b.length && a.every((block, i) => sameBlock(block, b[i]));
