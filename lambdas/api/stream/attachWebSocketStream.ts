import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { ApiError, errorBody } from "../errors.js";
import type { EventLog, StreamEvent } from "./EventLog.js";
import { admit, parseSubscription, runSubscription, type StreamSettings } from "./runSubscription.js";
import type { DropReason, StreamStats } from "./streamStats.js";
import { closeFrame, eventFrame, readyFrame } from "./webSocketFrames.js";

/** The path of the WebSocket stream: the same filters and resume points as `/v1/sse/events`. */
export const WEBSOCKET_PATH = "/v1/ws/events";

/** Close codes in the application range (4000–4999), one per drop reason. */
export const WS_CLOSE_CODES: Readonly<Record<DropReason, number>> = {
  slow_client: 4008,
  position_expired: 4010,
  no_pong: 4011,
  server_closing: 4001,
  // Recorded only: the client had already left, nothing is sent.
  gone: 4410,
};

export interface WebSocketStream {
  close(): void;
}

/**
 * `/v1/ws/events` on a Node HTTP server (the local server; on AWS an API Gateway WebSocket API plays
 * this part, fanOutWebSocket.ts). Messages are webSocketFrames.ts's: `ready`, one per event, and
 * `close` before the server cuts a connection (close code WS_CLOSE_CODES[reason]). Resume with `?after=<seq>`
 * (browsers cannot set Last-Event-ID on a WebSocket). Pings are the heartbeat; a client that
 * answers none for two heartbeats is dropped (`no_pong`), one that stops reading (`slow_client`).
 */
export function attachWebSocketStream(
  server: Server,
  deps: { readonly log: EventLog; readonly settings: StreamSettings; readonly stats: StreamStats },
): WebSocketStream {
  const { log, settings, stats } = deps;
  // perMessageDeflate off: compression would hide a stalled reader behind zlib's own buffering.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sockets = new Set<WebSocket>();
  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== WEBSOCKET_PATH) return refuse(socket, 404, "not_found", `no route ${url.pathname}`);
    let subscription: Awaited<ReturnType<typeof parseSubscription>>;
    try {
      subscription = await parseSubscription(
        (name) => url.searchParams.get(name) ?? undefined,
        header(request, "last-event-id"),
        log,
      );
      admit(stats, settings);
    } catch (error) {
      if (error instanceof ApiError) return refuse(socket, error.status, error.code, error.message, error);
      return refuse(socket, 503, "unavailable", "the event log is unavailable; retry later");
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.once("close", () => sockets.delete(ws));
      void serve(ws, subscription).catch(() => ws.terminate());
    });
  };
  server.on("upgrade", onUpgrade);

  async function serve(ws: WebSocket, subscription: Awaited<ReturnType<typeof parseSubscription>>) {
    let open = true;
    let missedPongs = 0;
    ws.on("pong", () => {
      missedPongs = 0;
    });
    const closed = new Promise<void>((resolve) =>
      ws.once("close", () => {
        open = false;
        resolve();
      }),
    );
    const sendFrame = (frame: string) =>
      new Promise<void>((resolve, reject) => ws.send(frame, (error) => (error ? reject(error) : resolve())));
    const close = (reason: DropReason, detail: Record<string, unknown>) => {
      open = false;
      ws.send(closeFrame(reason, detail));
      ws.close(WS_CLOSE_CODES[reason], reason);
      // A client that reads nothing never completes the closing handshake.
      setTimeout(() => ws.terminate(), 1_000).unref();
    };
    await sendFrame(readyFrame(subscription.after)).catch(() => {
      open = false;
    });
    await runSubscription({
      ...deps,
      subscription,
      transport: {
        // ws queues frames in order: the run is taken once its last frame is.
        send: (events: readonly StreamEvent[]) => Promise.all(events.map((e) => sendFrame(eventFrame(e)))),
        heartbeat: () => {
          if (++missedPongs > 2) {
            stats.drop("no_pong");
            close("no_pong", {});
            return Promise.resolve();
          }
          return new Promise<void>((resolve, reject) =>
            ws.ping(undefined, undefined, (e) => (e ? reject(e) : resolve())),
          );
        },
        close,
        isOpen: () => open && ws.readyState === ws.OPEN,
        closed,
      },
    });
  }

  return {
    close() {
      server.off("upgrade", onUpgrade);
      for (const ws of sockets) {
        ws.close(WS_CLOSE_CODES.server_closing, "server_closing");
        ws.terminate();
      }
      wss.close();
    },
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Answers an upgrade request with a JSON error, as the HTTP routes do, and ends the socket. */
function refuse(socket: Duplex, status: number, code: string, message: string, error?: ApiError): void {
  // The same body as the HTTP routes' errors (errorBody): `field` names the bad parameter.
  const body = JSON.stringify({ error: error ? errorBody(error) : { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : status === 404 ? "Not Found" : "Service Unavailable"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
