import { EventLogPositionExpiredError } from "./createDynamoEventLog.js";
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
 * (a slow client holds up only itself). The window holds every event in (base, tail], in log order, so a
 * read from it returns exactly what the log would.
 *
 * Invariant: the log is read from the window's tail by one read at a time (`refresh`), whoever needs it —
 * the poller, a new connection at a head the window has not reached, or every connection after a failed
 * read — so each event is fetched once however many connections want it. Only a connection behind the
 * window (resuming from an old id) reads the log itself, and connections at the same position share that read.
 */
export function createLogFeed(p: LogFeedParameters): LogFeed {
  const windowSize = p.windowSize ?? 10_000;
  const batch = p.batch ?? 500;
  let window: StreamEvent[] = [];
  // Invariant: `window` is every event with base < seq <= tail; base undefined until the first read.
  let base: number | undefined;
  let tail = 0;
  const waiters = new Set<Waiter>();
  let polling = false;
  // The last read of the log failed: the next reader reads again (and sees the error) instead of the window.
  let failed = false;
  let headRead: Promise<number> | undefined;
  let refreshing: Promise<void> | undefined;
  const behind = new Map<string, Promise<readonly StreamEvent[]>>();

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
  const extend = (events: readonly StreamEvent[]) => {
    for (const e of events) if (e.seq > tail) window.push(e);
    tail = Math.max(tail, (events[events.length - 1] as StreamEvent).seq);
    if (window.length > windowSize) {
      const cut = window.length - windowSize;
      base = (window[cut - 1] as StreamEvent).seq;
      window = window.slice(cut);
    }
    wakeAll((w) => w.after < tail);
  };

  /** The one read of the log after the tail; concurrent callers share it. Resolves to whether it found any. */
  const refresh = (): Promise<boolean> => {
    refreshing ??= p.log
      .read(tail, batch)
      .then(
        (events) => {
          failed = false;
          if (events.length > 0) extend(events);
        },
        (error: unknown) => {
          if (error instanceof EventLogPositionExpiredError) {
            // The tail's entries expired (an idle process): the next reader starts the window again at its position.
            base = undefined;
            window = [];
          } else failed = true;
          throw error;
        },
      )
      .finally(() => {
        refreshing = undefined;
      });
    const run = refreshing;
    const before = tail;
    return run.then(() => tail > before);
  };

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      while (waiters.size > 0) if (!(await refresh())) await pause();
    } catch {
      // The log failed (or the tail's position in it expired): every waiter reads again, through the
      // one reader, and sees the error as its own.
      wakeAll(() => true);
    } finally {
      polling = false;
    }
  }

  /** A read behind the window: connections resuming from the same position share it. */
  const readBehind = (after: number, limit: number) => {
    const key = `${after}:${limit}`;
    let read = behind.get(key);
    if (read === undefined) {
      read = p.log.read(after, limit).finally(() => behind.delete(key));
      behind.set(key, read);
    }
    return read;
  };

  return {
    head,
    async read(after, limit) {
      // The first reader has everything up to `after`: the window starts there, complete from then on.
      if (base === undefined) {
        base = after;
        tail = after;
      }
      if (after < base) return readBehind(after, limit);
      // Ahead of the window (a new connection at a newer head), or the last read failed: the one reader
      // catches the window up to it (or fails for everyone).
      if (failed && after >= tail) await refresh();
      while (after > tail && (await refresh()));
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

const sseFrames = new WeakMap<StreamEvent, string>();

/**
 * An event as one Server-Sent Events frame (`event:`, `data:`, `id:`, as hono's writeSSE writes them), built
 * once however many connections send it. JSON holds no raw line break, so `data:` is one line.
 */
export function sseFrame(e: StreamEvent): string {
  let frame = sseFrames.get(e);
  if (frame === undefined) {
    frame = `event: ${e.type}\ndata: ${eventJson(e)}\nid: ${e.seq}\n\n`;
    sseFrames.set(e, frame);
  }
  return frame;
}
