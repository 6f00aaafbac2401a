import { ThrottledError } from "../shared/errors.js";
import type { ReorgEvent } from "../shared/events.js";
import { type ClaimedSlot, fail, isClaimed, type Slot } from "./batchSlot.js";
import type { StageContext } from "./batchStages.js";
import { type ShastaLifecycleStore, shastaLifecycleUpdatesOf } from "./shastaLifecycleStore.js";
import { toRetryableError } from "./toRetryableError.js";

/**
 * Stage 3c, the Shasta lifecycle beside the Pacaya one (lifecycleStage): each claimed Proposed records
 * its proposal as proposed, each Proved the proposals it finalizes as new, and each L1 reorg recomputes
 * the proposals with steps in the blocks it marks (shastaLifecycleStore.ts), so the unfinalized-proposal
 * alarm and the time-to-finality metric cover the Shasta fork and follow the canonical chain. A failed
 * write fails every record whose steps were in it (retried; the writes are idempotent).
 */
export async function shastaLifecycleStage(
  slots: readonly Slot[],
  ctx: StageContext,
  store: ShastaLifecycleStore,
): Promise<void> {
  const claimed = slots.filter(isClaimed);
  const steps = claimed
    .map((slot) => ({ slot, updates: shastaLifecycleUpdatesOf(slot.valid.event) }))
    .filter((x) => x.updates.length > 0);
  const reorgs = claimed.flatMap((slot): { slot: ClaimedSlot; event: ReorgEvent }[] =>
    slot.valid.event.type === "reorg" && slot.valid.event.chain === "l1"
      ? [{ slot, event: slot.valid.event }]
      : [],
  );
  if (steps.length === 0 && reorgs.length === 0) return;
  try {
    if (steps.length > 0) await store.record(steps.flatMap((x) => x.updates));
    if (reorgs.length > 0) await store.reorg(reorgs.map((x) => x.event));
  } catch (error) {
    const failure = toRetryableError(error, "Shasta lifecycle update");
    for (const { slot } of [...steps, ...reorgs])
      fail(slot, failure, ctx.counters, failure instanceof ThrottledError);
  }
}
