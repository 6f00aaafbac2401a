import { claimOf, deadLetteredWith, type Slot, withClaim } from "./batchSlot.js";

/**
 * The FIFO rule of the Lambda SQS event source, applied after each stage: in batch order, the first
 * failed record of a message group holds back every later record of that group (reported as failed,
 * never acknowledged), and a record shares the fate of an earlier copy of its observation. Other groups
 * go on. A record already in the DLQ is the exception: it stays acknowledged. (A leader always precedes its followers, so one pass in batch order sees final states.)
 */
export function holdBackFifo(slots: readonly Slot[]): void {
  const heads = new Map<string, Slot>();
  for (const slot of slots) {
    const head = heads.get(slot.group);
    // A record the DLQ already holds stays acknowledged: redelivered, it would be dead-lettered again
    // (the DLQ's 5-minute deduplication does not cover a later redelivery). Its place in the group's
    // order is the DLQ's now; a redrive replays it.
    if (slot.state.kind !== "failed" && deadLetteredWith(slot) === undefined) {
      const cause = head ?? (slot.leader?.state.kind === "failed" ? slot.leader : undefined);
      if (cause && cause.state.kind === "failed") {
        slot.state = {
          kind: "failed",
          error: cause.state.error,
          blockedBy: cause.record.messageId,
          ...withClaim(claimOf(slot)),
        };
      }
    }
    if (slot.state.kind === "failed" && head === undefined) heads.set(slot.group, slot);
  }
}
