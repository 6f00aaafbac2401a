import type { Chain } from "../../shared/events.js";
import type { ApiSettings } from "../apiSettings.js";
import { BadParameterError, TooManyConnectionsError } from "../errors.js";
import { EventLogPositionExpiredError } from "./createDynamoEventLog.js";
import { eventJson, sharedFeedOf } from "./createLogFeed.js";
import type { EventLog, StreamEvent } from "./EventLog.js";
import type { DropReason, StreamStats } from "./streamStats.js";

/** Which events a subscriber wants and where it resumes. */
export interface Subscription {
  /** Events with seq > after are delivered. */
  readonly after: number;
  readonly matches: (e: StreamEvent) => boolean;
}

/** How one connection writes: SSE over HTTP, or a WebSocket. */
export interface SubscriberTransport {
  /** Resolves once the transport took the events, in order (the socket drained them): one write for a run of events. */
  send(events: readonly StreamEvent[]): Promise<unknown>;
  /** Resolves once the heartbeat was taken. */
  heartbeat(): Promise<unknown>;
  /** Tells the client why (best effort) and cuts the connection. */
  close(reason: DropReason, detail: Record<string, unknown>): void;
  isOpen(): boolean;
  /** Settles when the client went away (or was dropped): a quiet connection stops waiting then. */
  readonly closed: Promise<unknown>;
}

export type StreamSettings = Pick<
  ApiSettings,
  "sseMaxConnections" | "sseHeartbeatMs" | "ssePollMs" | "sseSlowClientMs"
>;

const READ_BATCH = 500;
/** Serialized characters per write (at least one event): ~64 KB, about what a socket takes without waiting. */
const WRITE_CHARS = 65_536;

/** Consecutive runs of events whose JSON adds up to at most WRITE_CHARS (an event larger than that alone). */
function runsOf(events: readonly StreamEvent[]): StreamEvent[][] {
  const runs: StreamEvent[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const e of events) {
    const chars = eventJson(e).length;
    if (size + chars > WRITE_CHARS) {
      runs.push([]);
      size = 0;
    }
    (runs[runs.length - 1] as StreamEvent[]).push(e);
    size += chars;
  }
  return runs;
}

/** The filters of a subscription, as query parameters give them (storable: the AWS stream keeps them per connection). */
export interface StreamFilter {
  /** Event types wanted (`events=a,b`); all when absent. */
  readonly events?: readonly string[];
  /** `chain=l1|l2`; events without a chain (API events) pass either. */
  readonly chain?: Chain;
}

/** Reads `events=` and `chain=`; a bad value throws BadParameterError naming the parameter. */
export function parseStreamFilter(query: (name: string) => string | undefined): StreamFilter {
  const wanted = listParam(query("events"));
  const chain = query("chain");
  if (chain !== undefined && chain !== "l1" && chain !== "l2") {
    throw new BadParameterError("chain", `invalid value ${JSON.stringify(chain)}`);
  }
  return { ...(wanted ? { events: [...wanted] } : {}), ...(chain ? { chain } : {}) };
}

/** The predicate of a filter. */
export function filterMatcher(filter: StreamFilter): (e: StreamEvent) => boolean {
  const wanted = filter.events ? new Set(filter.events) : undefined;
  const { chain } = filter;
  return (e) =>
    (wanted === undefined || wanted.has(e.type)) &&
    (chain === undefined || e.chain === undefined || e.chain === chain);
}

/**
 * Parses a subscription from a request: `events=` and `chain=` filters, resume point from
 * Last-Event-ID (wins) or `?after=`, else the log's head (new events only). Bad values throw
 * BadParameterError naming the parameter.
 */
export async function parseSubscription(
  query: (name: string) => string | undefined,
  lastEventId: string | undefined,
  log: EventLog,
): Promise<Subscription & { readonly filter: StreamFilter }> {
  const filter = parseStreamFilter(query);
  const [name, raw] = lastEventId !== undefined ? ["Last-Event-ID", lastEventId] : ["after", query("after")];
  if (raw !== undefined && !/^\d{1,15}$/.test(raw))
    throw new BadParameterError(name, `not a sequence number: ${JSON.stringify(raw)}`);
  const after = raw === undefined ? await sharedFeedOf(log).head() : Number(raw);
  return { after, filter, matches: filterMatcher(filter) };
}

/** Counts a new connection, or refuses it when the instance holds its limit already. */
export function admit(stats: StreamStats, settings: StreamSettings): void {
  if (stats.connections >= settings.sseMaxConnections) {
    throw new TooManyConnectionsError(settings.sseMaxConnections);
  }
  stats.connections++;
}

/**
 * Delivers the log to one subscriber until it goes away. Connections read the process's shared feed
 * (one poller of the log, createLogFeed) and wait on it instead of polling, each at its own pace, so a
 * slow client holds up only itself: once one write waits longer than `sseSlowClientMs` it is dropped
 * with reason `slow_client`. The cursor passes filtered events too,
 * so resuming after the last delivered id skips them again: no gap, no duplicate.
 * The caller has admitted the connection; this releases it.
 */
export async function runSubscription(p: {
  readonly log: EventLog;
  readonly subscription: Subscription;
  readonly settings: StreamSettings;
  readonly stats: StreamStats;
  readonly transport: SubscriberTransport;
  readonly nowMs?: () => number;
}): Promise<void> {
  const { settings, stats, transport } = p;
  const feed = sharedFeedOf(p.log);
  const now = p.nowMs ?? Date.now;
  const within = async (write: Promise<unknown>): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), settings.sseSlowClientMs);
    });
    const ok = await Promise.race([write.then(() => true), late]);
    clearTimeout(timer);
    return ok;
  };
  const drop = (reason: DropReason, detail: Record<string, unknown>) => {
    stats.drop(reason);
    transport.close(reason, detail);
  };
  let cursor = p.subscription.after;
  try {
    let quietSince = now();
    while (transport.isOpen()) {
      let events: readonly StreamEvent[];
      try {
        events = await feed.read(cursor, READ_BATCH);
      } catch (error) {
        if (!(error instanceof EventLogPositionExpiredError)) throw error;
        return drop("position_expired", { after: cursor });
      }
      if (events.length > 0) {
        if (!transport.isOpen()) return;
        // One write per run of up to WRITE_CHARS: a connection that fell behind catches up in fewer, larger
        // writes, and the slow-client timer still measures a bounded write.
        for (const run of runsOf(events.filter(p.subscription.matches))) {
          if (!transport.isOpen()) return;
          if (!(await within(transport.send(run)))) return drop("slow_client", { after: cursor });
          stats.messagesSent += run.length;
          const at = now();
          for (const e of run)
            if (e.appendedAt !== undefined) stats.recordLag(Math.max(0, at - e.appendedAt));
          quietSince = at;
          cursor = (run[run.length - 1] as StreamEvent).seq;
        }
        // The cursor passes filtered events too.
        cursor = (events[events.length - 1] as StreamEvent).seq;
        continue;
      }
      if (now() - quietSince >= settings.sseHeartbeatMs) {
        if (!(await within(transport.heartbeat()))) return drop("slow_client", { after: cursor });
        quietSince = now();
      }
      const untilHeartbeat = Math.max(1, settings.sseHeartbeatMs - (now() - quietSince));
      await Promise.race([feed.waitPast(cursor, untilHeartbeat, settings.ssePollMs), transport.closed]);
    }
  } finally {
    stats.connections--;
  }
}

function listParam(raw: string | undefined): ReadonlySet<string> | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const names = raw.split(",").map((s) => s.trim());
  if (!names.every((n) => /^[a-z0-9_]{1,64}$/.test(n)))
    throw new BadParameterError("events", "comma-separated event types");
  return new Set(names);
}
