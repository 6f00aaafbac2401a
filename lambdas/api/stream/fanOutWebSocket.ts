import { EventLogPositionExpiredError } from "./createDynamoEventLog.js";
import type { EventLog, StreamEvent } from "./EventLog.js";
import { filterMatcher, type StreamSettings } from "./runSubscription.js";
import type { DropReason, StreamStats } from "./streamStats.js";
import type { WebSocketConnection, WebSocketConnections } from "./webSocketConnections.js";
import { closeFrame, eventFrame, heartbeatFrame, readyFrame } from "./webSocketFrames.js";
import type { PostOutcome, WebSocketManagementApi } from "./webSocketManagementApi.js";

export interface FanOutDependencies {
  readonly log: EventLog;
  readonly connections: WebSocketConnections;
  readonly api: WebSocketManagementApi;
  readonly stats: StreamStats;
  /** sseSlowClientMs: a post slower than this drops the client; sseHeartbeatMs: idle time before a heartbeat. */
  readonly settings: Pick<StreamSettings, "sseSlowClientMs" | "sseHeartbeatMs">;
  /** Told of every dropped connection (the handler logs it). */
  readonly onDrop?: (connectionId: string, reason: DropReason, detail: Record<string, unknown>) => void;
  /** Told of a connection left for the next pass after an unexpected failure. */
  readonly onError?: (connectionId: string, error: unknown) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Connections served at once. @default 32 */
  readonly parallel?: number;
  /** Events a connection is given per pass at most (a far-behind client catches up over passes). @default 2000 */
  readonly maxEventsPerConnection?: number;
  /**
   * Frames posted between two writes of a connection's position. 1 (default): a pass that dies
   * between a post and its write re-sends that one frame at most; more saves writes at the price of
   * re-sending up to that many after such a death (the `id` lets a client drop them).
   */
  readonly commitEvery?: number;
}

export interface FanOutResult {
  readonly connections: number;
  readonly framesSent: number;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Connections left for the next pass after an unexpected failure (a 5xx or throttle from API Gateway, DynamoDB). */
  readonly failed: number;
}

/** A just-connected client may be posted to before API Gateway finished its `$connect`: 410 then means "not yet". */
const CONNECT_GRACE_MS = 10_000;
const READ_PAGE = 100;

/**
 * One pass of the AWS WebSocket stream: every stored connection is given the log's events after its
 * position, filtered, in sequence order, each connection's position written after its frames went out
 * (conditionally: a pass never rewinds a position another moved). Run by one function instance at a
 * time (reserved concurrency 1), so a connection has one writer. A post slower than the slow-client
 * limit drops that client (`close` frame, then disconnect); 410 Gone drops it as `gone`; an expired
 * position as `position_expired`. Connections at the same position share one log read.
 */
export async function fanOutWebSocket(
  deps: FanOutDependencies,
  options: { readonly heartbeat?: boolean } = {},
): Promise<FanOutResult> {
  const now = deps.now ?? Date.now;
  const reads = new Map<number, Promise<readonly StreamEvent[]>>();
  const read = (after: number) => {
    let found = reads.get(after);
    if (found === undefined) {
      found = deps.log.read(after, READ_PAGE);
      reads.set(after, found);
    }
    return found;
  };
  const head = options.heartbeat ? await deps.log.head() : 0;
  const all = await deps.connections.list();
  deps.stats.connections = all.length;
  const result = {
    connections: all.length,
    framesSent: 0,
    dropped: {} as Partial<Record<DropReason, number>>,
    failed: 0,
  };
  const serve = async (c: WebSocketConnection) => {
    try {
      const outcome = await deliver(deps, c, read, { now, head, heartbeat: options.heartbeat === true });
      result.framesSent += outcome.sent;
      if (outcome.dropped) result.dropped[outcome.dropped] = (result.dropped[outcome.dropped] ?? 0) + 1;
    } catch (error) {
      result.failed++;
      deps.onError?.(c.connectionId, error);
    }
  };
  const queue = [...all];
  const workers = Array.from({ length: Math.min(deps.parallel ?? 32, queue.length) }, async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) await serve(c);
  });
  await Promise.all(workers);
  deps.stats.connections = all.length - Object.values(result.dropped).reduce((a, b) => a + b, 0);
  return result;
}

/** One connection's share of a pass: ready frame (first pass), events after its position, a heartbeat when idle. */
async function deliver(
  deps: FanOutDependencies,
  c: WebSocketConnection,
  read: (after: number) => Promise<readonly StreamEvent[]>,
  pass: { readonly now: () => number; readonly head: number; readonly heartbeat: boolean },
): Promise<{ sent: number; dropped?: DropReason }> {
  const { connections, stats } = deps;
  const id = c.connectionId;
  const commitEvery = deps.commitEvery ?? 1;
  const limit = deps.maxEventsPerConnection ?? 2000;
  const matches = filterMatcher(c.filter);
  let committed = c.after;
  let sent = 0;
  let uncommitted = 0;
  let lastSentAt: number | undefined;
  const post = (frame: string) => timedPost(deps.api, id, frame, deps.settings.sseSlowClientMs);
  const drop = async (reason: DropReason, detail: Record<string, unknown>) => {
    stats.drop(reason);
    deps.onDrop?.(id, reason, detail);
    if (reason !== "gone") {
      await post(closeFrame(reason, detail)).catch(() => "gone");
      await deps.api.disconnect(id).catch(() => undefined);
    }
    await connections.remove(id);
    return { sent, dropped: reason };
  };
  const refused = (outcome: PostOutcome | "slow", after: number) =>
    outcome === "slow"
      ? drop("slow_client", { after })
      : !c.ready && pass.now() - c.connectedAt < CONNECT_GRACE_MS
        ? Promise.resolve({ sent })
        : drop("gone", { after });
  const commit = async (to: number) => {
    const moved = await connections.advance(id, committed, to, lastSentAt);
    committed = to;
    uncommitted = 0;
    return moved;
  };

  if (!c.ready) {
    const outcome = await post(readyFrame(c.after));
    if (outcome !== "sent") return refused(outcome, c.after);
    lastSentAt = pass.now();
    if (!(await commit(c.after))) return { sent };
  }
  let cursor = c.after;
  for (let given = 0; given < limit; ) {
    let events: readonly StreamEvent[];
    try {
      events = await read(cursor);
    } catch (error) {
      if (!(error instanceof EventLogPositionExpiredError)) throw error;
      return drop("position_expired", { after: cursor });
    }
    if (events.length === 0) break;
    for (const e of events) {
      if (matches(e)) {
        const outcome = await post(eventFrame(e));
        if (outcome !== "sent") {
          if (uncommitted > 0) await commit(cursor);
          return refused(outcome, cursor);
        }
        sent++;
        uncommitted++;
        lastSentAt = pass.now();
        stats.messagesSent++;
        if (e.appendedAt !== undefined) stats.recordLag(Math.max(0, lastSentAt - e.appendedAt));
      }
      cursor = e.seq;
      given++;
      if (uncommitted >= commitEvery && !(await commit(cursor))) return { sent };
    }
  }
  if (cursor !== committed && !(await commit(cursor))) return { sent };
  const idleSince = lastSentAt ?? c.lastSentAt;
  if (pass.heartbeat && sent === 0 && pass.now() - idleSince >= deps.settings.sseHeartbeatMs) {
    const outcome = await post(heartbeatFrame(pass.head));
    if (outcome !== "sent") return refused(outcome, cursor);
  }
  return { sent };
}

/** A post, or `slow` once it took longer than the slow-client limit. */
async function timedPost(
  api: WebSocketManagementApi,
  id: string,
  frame: string,
  slowMs: number,
): Promise<PostOutcome | "slow"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), slowMs);
  });
  try {
    return await Promise.race([api.post(id, frame), late]);
  } finally {
    clearTimeout(timer);
  }
}
