import type { Chain } from "../../lambdas/shared/events.js";

/** How long a reorg waits for the ingestor before it comes anyway. */
const WAIT_LIMIT_MS = 30_000;
const POLL_MS = 50;

export interface SeenReorgGate {
  /** The devnet's `beforeReorg`: the first `count` reorgs per chain wait until the ingestor has published their blocks. */
  readonly beforeReorg: (chain: Chain, head: number) => Promise<void>;
  /** Where the gate reads how far the ingestor has published (set once the ingestor exists). */
  watch(next: Readonly<Record<Chain, number>>): void;
}

/**
 * A watcher that is caught up when a reorg comes, for the first `count` reorgs on each chain: with
 * polling every few seconds and blocks every few tens of milliseconds, a drawn reorg otherwise mostly
 * drops blocks no one has read, and a run could end with no ingested orphan to prove the marking on.
 * After `waitLimitMs` the reorg comes anyway (the schedule may be off), so a run never hangs here.
 */
export function createSeenReorgGate(count: number, waitLimitMs = WAIT_LIMIT_MS): SeenReorgGate {
  let next: Readonly<Record<Chain, number>> | undefined;
  const gated: Record<Chain, number> = { l1: 0, l2: 0 };
  return {
    watch(n) {
      next = n;
    },
    async beforeReorg(chain, head) {
      if (gated[chain] >= count) return;
      gated[chain]++;
      const until = Date.now() + waitLimitMs;
      while ((next?.[chain] ?? 0) <= head && Date.now() < until)
        await new Promise((r) => setTimeout(r, POLL_MS));
    },
  };
}
