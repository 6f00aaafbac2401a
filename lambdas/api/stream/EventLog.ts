import type { Chain } from "../../shared/events.js";

/** One canonical event as the stream serves it, with its gap-free sequence number. */
export interface StreamEvent {
  /** Monotonic and gap-free across the whole log: the SSE `id:` a client resumes from. */
  readonly seq: number;
  /** The event type (l2_header, batch_proposed, …, reorg: a client retracts what the reorg orphaned). */
  readonly type: string;
  readonly chain?: Chain;
  /** The event key (the same key the sink stores). */
  readonly key: string;
  readonly payload: unknown;
  /** When the processor appended it (epoch ms): the stream's delivery lag is measured from here. */
  readonly appendedAt?: number;
}

/**
 * The ordered log the stream reads. The processor is the writer: it must
 * append each event it applies exactly once, with the next sequence number,
 * in the same transaction that makes its rows durable (see the README).
 */
export interface EventLog {
  /** Events with seq > after, ascending, at most `limit`. */
  read(after: number, limit: number): Promise<readonly StreamEvent[]>;
  /** The highest seq appended so far (0 for an empty log). */
  head(): Promise<number>;
}
