import { chunk } from "../shared/chunk.js";

/** One entry to send, in a FIFO message group. */
export interface LaneEntry {
  /** Position in the publish order; unique. */
  readonly index: number;
  readonly group: string;
  /** What the entry counts toward a batch's payload limit. */
  readonly bytes: number;
}

export interface SendInLanesParameters<E extends LaneEntry> {
  /** In publish order: each group's entries go out in this order. */
  readonly entries: readonly E[];
  /** Batches in flight at once, at most. */
  readonly lanes: number;
  /** A batch's limits (SendMessageBatch: 10 entries, 256 KiB). */
  readonly maxItems: number;
  readonly maxBytes: number;
  /** Sends one batch and resolves with the indexes it did not accept; never rejects for a refusal. */
  readonly send: (batch: readonly E[]) => Promise<ReadonlySet<number>>;
  /** After each batch returns, with the count of entries not yet accepted. May throw to stop: a crash point. */
  readonly afterBatch?: (unaccepted: number) => void;
}

interface GroupQueue<E> {
  readonly entries: E[];
  /** Entries before `head` are accepted. */
  head: number;
  /** A batch holding this group's head entry is in flight. */
  busy: boolean;
  /** Its head entry was refused: the group waits for the next round. */
  blocked: boolean;
}

/**
 * Send `entries` in up to `lanes` concurrent batches. Invariants that keep each group's order:
 * - a batch holds at most one entry per group (SQS answers per entry, so two of one group in a batch
 *   could land out of order when only the first fails);
 * - no two batches in flight share a group, and a group's next entry goes out only after its previous
 *   one was accepted;
 * - a refused entry blocks its group for the rest of the round.
 * So the lanes in use are bounded by the groups with entries waiting: about groups / 10.
 * Resolves with the entries not accepted (refused, or held behind a refusal), in publish order.
 */
export function sendInLanes<E extends LaneEntry>(parameters: SendInLanesParameters<E>): Promise<E[]> {
  const { lanes, send } = parameters;
  if (!Number.isInteger(lanes) || lanes < 1)
    throw new RangeError(`lanes must be an integer ≥ 1, got ${lanes}`);
  const groups = queuesByGroup(parameters.entries);
  let unaccepted = parameters.entries.length;

  /**
   * The next batch: the head entries of free groups, earliest first, within the batch limits. A batch
   * that is not full waits while another is in flight: each request costs the same CPU whatever it
   * holds (the SDK's work is per request), and the groups in flight come back to fill it.
   */
  const nextBatch = (running: number): E[] => {
    const heads: E[] = [];
    for (const queue of groups.values()) {
      const head = queue.entries[queue.head];
      if (head && !queue.busy && !queue.blocked) heads.push(head);
    }
    heads.sort((a, b) => a.index - b.index);
    const [first = [], ...rest] = chunk(heads, {
      maxItems: parameters.maxItems,
      maxBytes: parameters.maxBytes,
      sizeOf: (e) => e.bytes,
    });
    const full = first.length === parameters.maxItems || rest.length > 0;
    return full || running === 0 ? first : [];
  };

  return new Promise<E[]>((resolve, reject) => {
    let running = 0;
    let stopped = false;
    const settle = (batch: readonly E[], refused: ReadonlySet<number>) => {
      for (const entry of batch) {
        const queue = groups.get(entry.group) as GroupQueue<E>;
        queue.busy = false;
        if (refused.has(entry.index)) {
          queue.blocked = true;
        } else {
          queue.head++;
          unaccepted--;
        }
      }
    };
    const launch = () => {
      while (!stopped && running < lanes) {
        const batch = nextBatch(running);
        if (batch.length === 0) break;
        for (const entry of batch) (groups.get(entry.group) as GroupQueue<E>).busy = true;
        running++;
        send(batch)
          .then((refused) => {
            running--;
            settle(batch, refused);
            if (stopped) return;
            parameters.afterBatch?.(unaccepted);
            launch();
          })
          .catch((error: unknown) => {
            // A crash point or a bug: launch nothing more; batches already in flight may still land.
            stopped = true;
            reject(error);
          });
      }
      if (running === 0 && !stopped) {
        stopped = true;
        resolve(leftovers(groups));
      }
    };
    launch();
  });
}

function queuesByGroup<E extends LaneEntry>(entries: readonly E[]): Map<string, GroupQueue<E>> {
  const groups = new Map<string, GroupQueue<E>>();
  for (const entry of entries) {
    let queue = groups.get(entry.group);
    if (!queue) {
      queue = { entries: [], head: 0, busy: false, blocked: false };
      groups.set(entry.group, queue);
    }
    queue.entries.push(entry);
  }
  return groups;
}

function leftovers<E extends LaneEntry>(groups: ReadonlyMap<string, GroupQueue<E>>): E[] {
  const left: E[] = [];
  for (const queue of groups.values()) left.push(...queue.entries.slice(queue.head));
  return left.sort((a, b) => a.index - b.index);
}
