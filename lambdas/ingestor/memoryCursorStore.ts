import { CursorConflictError, LeaseHeldError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";
import { assertContiguous, type Cursor, type CursorStore, cursorKey } from "./cursorStore.js";

/**
 * A CursorStore in memory with the same conditions as the DynamoDB one (leases, expected `next`,
 * contiguous windows, reorg seq). The smoke test's dry-run poll runs the real ingest path on it, so
 * that nothing is written to the state table; tests use it as the store.
 */
export function createMemoryCursorStore(options: { leaseSeconds?: number; recentHashes?: number } = {}) {
  const leaseMs = (options.leaseSeconds ?? 60) * 1000;
  const window = options.recentHashes ?? 256;
  const items = new Map<string, Cursor>();
  const get = (chain: Chain): Cursor =>
    items.get(cursorKey(chain)) ?? { next: undefined, recent: [], lease: undefined };
  const put = (chain: Chain, cursor: Cursor) => {
    items.set(cursorKey(chain), cursor);
    return cursor;
  };
  const take = (chain: Chain, owner: string, nowMs: number, mayTake: (c: Cursor) => boolean) => {
    const current = get(chain);
    if (!mayTake(current)) {
      throw new LeaseHeldError(`${cursorKey(chain)} is leased to ${current.lease?.owner}`, {
        context: { chain, holder: current.lease?.owner },
      });
    }
    return put(chain, { ...current, lease: { owner, expiresAt: nowMs + leaseMs } });
  };
  const store: CursorStore & { peek(chain: Chain): Cursor; seed(chain: Chain, cursor: Cursor): void } = {
    read: async (chain) => get(chain),
    acquireLease: async (chain, owner, nowMs) =>
      take(chain, owner, nowMs, (c) => !c.lease || c.lease.expiresAt < nowMs || c.lease.owner === owner),
    renewLease: async (chain, owner, nowMs) => take(chain, owner, nowMs, (c) => c.lease?.owner === owner),
    advance: async (chain, owner, { expectedNext, next, recent, pending = [], highWater }, nowMs) => {
      const current = get(chain);
      if (current.lease?.owner !== owner || current.next !== expectedNext) {
        throw new CursorConflictError(`${cursorKey(chain)} moved`, { context: { chain } });
      }
      const kept = recent.slice(-window);
      assertContiguous(kept, next);
      return put(chain, {
        next,
        recent: kept,
        lease: { owner, expiresAt: nowMs + leaseMs },
        ...(pending.length > 0 ? { pending } : {}),
        ...(current.reorgSeq === undefined ? {} : { reorgSeq: current.reorgSeq }),
        highWater: Math.max(highWater ?? -1, next - 1),
      });
    },
    markPending: async (chain, owner, { expectedNext, pending, reorgSeq }) => {
      const current = get(chain);
      if (current.lease?.owner !== owner || current.next !== expectedNext) {
        throw new CursorConflictError(`${cursorKey(chain)} moved`, { context: { chain } });
      }
      if (reorgSeq !== undefined && reorgSeq <= (current.reorgSeq ?? 0)) {
        throw new CursorConflictError(`${cursorKey(chain)} reorg seq ${reorgSeq} is taken`, {
          context: { chain },
        });
      }
      return put(chain, { ...current, pending, ...(reorgSeq === undefined ? {} : { reorgSeq }) });
    },
    release: async (chain, owner) => {
      const current = get(chain);
      if (current.lease?.owner === owner) put(chain, { ...current, lease: undefined });
    },
    peek: get,
    seed: (chain, cursor) => {
      put(chain, cursor);
    },
  };
  return store;
}
