import { ThrottledError } from "../shared/errors.js";
import { type ClaimedSlot, fail, isClaimed, type Slot } from "./batchSlot.js";
import type { StageContext } from "./batchStages.js";
import { type ShastaLifecycleStore, shastaLifecycleUpdatesOf } from "./shastaLifecycleStore.js";
import { toRetryableError } from "./toRetryableError.js";

/**
 * Stage 3c, the Shasta lifecycle beside the Pacaya one (lifecycleStage): each claimed Proposed records
 * its proposal as proposed, each Proved the proposals it finalizes as new (shastaLifecycleStore.ts),
 * so the unfinalized-proposal alarm and the time-to-finality metric cover the Shasta fork. A failed
 * write fails every record whose steps were in it (retried; the writes are idempotent).
 */
export async function shastaLifecycleStage(
  slots: readonly Slot[],
  ctx: StageContext,
  store: ShastaLifecycleStore,
): Promise<void> {
  const steps = slots
    .filter(isClaimed)
    .map((slot) => ({ slot, updates: shastaLifecycleUpdatesOf(slot.valid.event) }))
    .filter(
      (x): x is { slot: ClaimedSlot; updates: ReturnType<typeof shastaLifecycleUpdatesOf> } =>
        x.updates.length > 0,
    );
  if (steps.length === 0) return;
  try {
    await store.record(steps.flatMap((x) => x.updates));
  } catch (error) {
    const failure = toRetryableError(error, "Shasta lifecycle update");
    for (const { slot } of steps) fail(slot, failure, ctx.counters, failure instanceof ThrottledError);
  }
}
