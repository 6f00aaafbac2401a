import type { EventLog, StreamEvent } from "./EventLog.js";

/** One process's shared view of the event log: what every stream connection reads and waits on. */
export interface LogFeed {
  /** Events with seq > after, ascending, at most `limit`: from the shared window when it holds them, else from the log. */
  read(after: number, limit: number): Promise<readonly StreamEvent[]>;
  /** The log's head; concurrent callers (a burst of new connections) share one read of it. */
  head(): Promise<number>;
  /**
   * Resolves once an event with seq > after is known, or after `maxWaitMs`. While anyone waits, one
   * poller reads the log every `pollMs` (the smallest any waiter asked for) and wakes them all.
   */
  waitPast(after: number, maxWaitMs: number, pollMs: number): Promise<void>;
}

export interface LogFeedParameters {
  readonly log: EventLog;
  /** Recent events kept for every connection to read. @default 10000 */
  readonly windowSize?: number;
  /** Events per read of the log. @default 500 */
  readonly batch?: number;
}

interface Waiter {
  readonly after: number;
  readonly pollMs: number;
  readonly wake: () => void;
}

/**
 * Fan-out without per-connection polling: one reader of the log per process appends what it reads to a
 * window of recent events, and every connection serves itself from that window, each at its own pace
 * (a slow client holds up only itself). A connection behind the window (resuming from an old id) reads
 * the log itself until it catches up. The window holds every event in (base, tail], in log order, so a
 * read from it returns exactly what the log would.
 */
export function createLogFeed(p: LogFeedParameters): LogFeed {
  const windowSize = p.windowSize ?? 10_000;
  const batch = p.batch ?? 500;
  let window: StreamEvent[] = [];
  // Invariant: `window` is every event with base < seq <= tail; base undefined until the first wait.
  let base: number | undefined;
  let tail = 0;
  const waiters = new Set<Waiter>();
  let polling = false;
  let headRead: Promise<number> | undefined;

  const head = (): Promise<number> => {
    headRead ??= p.log.head().finally(() => {
      headRead = undefined;
    });
    return headRead;
  };
  const wakeAll = (past: (w: Waiter) => boolean) => {
    for (const w of waiters) {
      if (!past(w)) continue;
      waiters.delete(w);
      w.wake();
    }
  };
  const pause = () =>
    new Promise((r) => setTimeout(r, Math.min(...[...waiters].map((w) => w.pollMs), 60_000)));

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      while (waiters.size > 0) {
        const events = await p.log.read(tail, batch);
        if (events.length === 0) {
          await pause();
          continue;
        }
        for (const e of events) window.push(e);
        tail = (events[events.length - 1] as StreamEvent).seq;
        if (window.length > windowSize) {
          const cut = window.length - windowSize;
          base = (window[cut - 1] as StreamEvent).seq;
          window = window.slice(cut);
        }
        wakeAll((w) => w.after < tail);
      }
    } catch {
      // The log failed (or our position in it expired): start again from its head; every waiter reads
      // the log itself once, and sees the error as its own.
      base = undefined;
      window = [];
      wakeAll(() => true);
    } finally {
      polling = false;
    }
  }

  return {
    head,
    async read(after, limit) {
      if (base === undefined || after < base || after > tail) return p.log.read(after, limit);
      let lo = 0;
      let hi = window.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((window[mid] as StreamEvent).seq <= after) lo = mid + 1;
        else hi = mid;
      }
      return window.slice(lo, lo + limit);
    },
    waitPast(after, maxWaitMs, pollMs) {
      if (base !== undefined && tail > after) return Promise.resolve();
      if (base === undefined) {
        // The waiter has read everything up to `after`: the window starts there, complete from then on.
        base = after;
        tail = after;
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve();
        }, maxWaitMs);
        const waiter: Waiter = {
          after,
          pollMs,
          wake: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.add(waiter);
        void poll();
      });
    },
  };
}

const feeds = new WeakMap<EventLog, LogFeed>();

/** The one feed of a log in this process: the SSE route and the WebSocket server share it. */
export function sharedFeedOf(log: EventLog): LogFeed {
  let feed = feeds.get(log);
  if (feed === undefined) {
    feed = createLogFeed({ log });
    feeds.set(log, feed);
  }
  return feed;
}

const serialized = new WeakMap<StreamEvent, string>();

/** An event as JSON, serialized once however many connections send it (the feed hands them all the same object). */
export function eventJson(e: StreamEvent): string {
  let json = serialized.get(e);
  if (json === undefined) {
    json = JSON.stringify(e);
    serialized.set(e, json);
  }
  return json;
}
