import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ApiSettings } from "../apiSettings.js";
import { BadParameterError, TooManyConnectionsError } from "../errors.js";
import type { EventLog, StreamEvent } from "./EventLog.js";

/** Counters of the stream, for /health and the dashboard. */
export interface StreamStats {
  connections: number;
  messagesSent: number;
  clientsDropped: number;
}

export interface StreamEventsDependencies {
  readonly log: EventLog;
  readonly settings: Pick<
    ApiSettings,
    "sseMaxConnections" | "sseHeartbeatMs" | "ssePollMs" | "sseSlowClientMs"
  >;
  /** Cuts a connection whose client stopped reading; how is runtime-specific. @default ends the stream */
  readonly dropConnection?: (c: Context) => void;
}

const READ_BATCH = 500;

/**
 * `GET /v1/sse/events`: canonical events as Server-Sent Events, `id:` = the
 * log's sequence number. A client resumes with `Last-Event-ID` (or `?after=`)
 * and gets every event after it, no gap, no duplicate: each connection reads
 * the log itself (pull, not a shared fan-out buffer), so a slow client holds up
 * only itself and is dropped, with a reason, once a write waits longer than
 * `sseSlowClientMs`.
 */
export function registerEventStream(app: Hono, deps: StreamEventsDependencies): StreamStats {
  const stats: StreamStats = { connections: 0, messagesSent: 0, clientsDropped: 0 };
  const { log, settings } = deps;
  app.get("/v1/sse/events", async (c) => {
    const after = await startingPoint(c, log);
    const wanted = listParam(c.req.query("events"));
    const chain = c.req.query("chain");
    if (chain !== undefined && chain !== "l1" && chain !== "l2") {
      throw new BadParameterError("chain", `invalid value ${JSON.stringify(chain)}`);
    }
    if (stats.connections >= settings.sseMaxConnections) {
      throw new TooManyConnectionsError(settings.sseMaxConnections);
    }
    stats.connections++;
    const matches = (e: StreamEvent) =>
      (wanted === undefined || wanted.has(e.type)) &&
      (chain === undefined || e.chain === undefined || e.chain === chain);
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      const within = async (write: Promise<unknown>): Promise<boolean> => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), settings.sseSlowClientMs);
        });
        const ok = await Promise.race([write.then(() => true), late]);
        clearTimeout(timer);
        return ok;
      };
      const drop = (reason: string) => {
        stats.clientsDropped++;
        open = false;
        void stream.writeSSE({ event: "close", data: JSON.stringify({ reason }) }).catch(() => {});
        (deps.dropConnection ?? (() => stream.abort()))(c);
      };
      try {
        let cursor = after;
        let quietSince = Date.now();
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ after: cursor }) });
        while (open) {
          const events = await log.read(cursor, READ_BATCH);
          for (const e of events) {
            if (!open) break;
            // The cursor passes filtered events too: resuming after the last delivered id skips them again.
            cursor = e.seq;
            if (!matches(e)) continue;
            if (
              !(await within(stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) })))
            ) {
              drop("slow_client");
              break;
            }
            stats.messagesSent++;
            quietSince = Date.now();
          }
          if (events.length > 0 || !open) continue;
          if (Date.now() - quietSince >= settings.sseHeartbeatMs) {
            if (!(await within(stream.write(": heartbeat\n\n")))) {
              drop("slow_client");
              break;
            }
            quietSince = Date.now();
          }
          await stream.sleep(settings.ssePollMs);
        }
      } finally {
        stats.connections--;
      }
    });
  });
  return stats;
}

/** Last-Event-ID wins over ?after=; with neither, the stream starts at the log's head (new events only). */
async function startingPoint(c: Context, log: EventLog): Promise<number> {
  const header = c.req.header("last-event-id");
  const [name, raw] = header !== undefined ? ["Last-Event-ID", header] : ["after", c.req.query("after")];
  if (raw === undefined) return log.head();
  if (!/^\d{1,15}$/.test(raw))
    throw new BadParameterError(name, `not a sequence number: ${JSON.stringify(raw)}`);
  return Number(raw);
}

function listParam(raw: string | undefined): ReadonlySet<string> | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const names = raw.split(",").map((s) => s.trim());
  if (!names.every((n) => /^[a-z0-9_]{1,64}$/.test(n)))
    throw new BadParameterError("events", "comma-separated event types");
  return new Set(names);
}
