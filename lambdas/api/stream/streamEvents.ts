import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { sseFrame } from "./createLogFeed.js";
import type { EventLog } from "./EventLog.js";
import { admit, parseSubscription, runSubscription, type StreamSettings } from "./runSubscription.js";
import type { StreamStats } from "./streamStats.js";

export interface StreamEventsDependencies {
  readonly log: EventLog;
  readonly settings: StreamSettings;
  /** The instance's stream counters (shared with the WebSocket server when there is one). */
  readonly stats: StreamStats;
  /** Cuts a connection whose client stopped reading; how is runtime-specific. @default ends the stream */
  readonly dropConnection?: (c: Context) => void;
}

/**
 * `GET /v1/sse/events`: canonical events as Server-Sent Events, `id:` = the log's sequence number.
 * A client resumes with `Last-Event-ID` (or `?after=`) and gets every event after it, no gap, no
 * duplicate (runSubscription). A dropped client gets `event: close` with the reason first.
 */
export function registerEventStream(app: Hono, deps: StreamEventsDependencies): void {
  const { log, settings, stats } = deps;
  app.get("/v1/sse/events", async (c) => {
    const subscription = await parseSubscription(
      (name) => c.req.query(name),
      c.req.header("last-event-id"),
      log,
    );
    admit(stats, settings);
    return streamSSE(c, async (stream) => {
      let open = true;
      let markClosed = () => {};
      const closed = new Promise<void>((resolve) => {
        markClosed = resolve;
      });
      stream.onAbort(() => {
        open = false;
        markClosed();
      });
      try {
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ after: subscription.after }) });
      } catch (error) {
        stats.connections--;
        throw error;
      }
      await runSubscription({
        ...deps,
        subscription,
        transport: {
          send: (events) => stream.write(events.map(sseFrame).join("")),
          heartbeat: () => stream.write(": heartbeat\n\n"),
          close: (reason, detail) => {
            open = false;
            markClosed();
            void stream
              .writeSSE({ event: "close", data: JSON.stringify({ reason, ...detail }) })
              .catch(() => {});
            (deps.dropConnection ?? (() => stream.abort()))(c);
          },
          isOpen: () => open,
          closed,
        },
      });
    });
  });
}
