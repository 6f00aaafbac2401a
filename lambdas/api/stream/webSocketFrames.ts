import { eventJson } from "./createLogFeed.js";
import type { StreamEvent } from "./EventLog.js";
import type { DropReason } from "./streamStats.js";

/**
 * The WebSocket stream's messages, one JSON text frame each: the one definition the local server
 * (attachWebSocketStream) and the AWS fan-out (fanOutWebSocket) both send. They mirror SSE frames:
 * `ready` first with the resume point, one frame per event with `id` = its sequence number, `close`
 * with the reason before the server cuts the connection, and `heartbeat` where the server cannot ping
 * (API Gateway sends no ping frames on a backend's behalf).
 */
export type WebSocketFrame =
  | { readonly event: "ready"; readonly data: { readonly after: number } }
  | { readonly id: string; readonly event: string; readonly data: StreamEvent }
  | { readonly event: "close"; readonly data: { readonly reason: DropReason } & Record<string, unknown> }
  | { readonly event: "heartbeat"; readonly data: { readonly head: number } };

export const readyFrame = (after: number): string => JSON.stringify({ event: "ready", data: { after } });

/** The same text as JSON.stringify({ id, event, data: e }), with the event serialized once for every connection (eventJson). */
export const eventFrame = (e: StreamEvent): string =>
  `{"id":"${e.seq}","event":${JSON.stringify(e.type)},"data":${eventJson(e)}}`;

export const closeFrame = (reason: DropReason, detail: Record<string, unknown>): string =>
  JSON.stringify({ event: "close", data: { reason, ...detail } });

export const heartbeatFrame = (head: number): string =>
  JSON.stringify({ event: "heartbeat", data: { head } });
