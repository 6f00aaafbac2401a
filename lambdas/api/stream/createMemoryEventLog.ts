import type { EventLog, StreamEvent } from "./EventLog.js";

export interface MemoryEventLog extends EventLog {
  /** Appends events with the next sequence numbers; returns them. */
  append(events: readonly Omit<StreamEvent, "seq">[]): readonly StreamEvent[];
}

/** An in-process event log: the local server's and the tests' EventLog. */
export function createMemoryEventLog(): MemoryEventLog {
  const events: StreamEvent[] = [];
  return {
    append(batch) {
      const appendedAt = Date.now();
      const added = batch.map((e, i) => ({ appendedAt, ...e, seq: events.length + i + 1 }));
      events.push(...added);
      return added;
    },
    // Invariant: events[i].seq === i + 1, so a read is a slice.
    async read(after, limit) {
      return events.slice(Math.max(0, after), Math.max(0, after) + limit);
    },
    async head() {
      return events.length;
    },
  };
}
