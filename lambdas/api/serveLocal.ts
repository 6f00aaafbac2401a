import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type HttpBindings, serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type ApiSettings, resolveApiSettings } from "./apiSettings.js";
import { buildDashboardPage } from "./buildDashboardPage.js";
import { type ApiAppDependencies, createApiApp } from "./createApiApp.js";
import { attachWebSocketStream, type WebSocketStream } from "./stream/attachWebSocketStream.js";
import { createStreamStats } from "./stream/streamStats.js";

export interface ServeApiParameters
  extends Omit<ApiAppDependencies, "settings" | "clientIdOf" | "dashboardHtml"> {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Loopback only. */
  readonly host?: "127.0.0.1";
  /** Overrides of the defaults, validated (a bad one throws ConfigError naming it). */
  readonly settings?: Partial<ApiSettings>;
  /** Build and serve the dashboard page at `/`. @default true */
  readonly dashboard?: boolean;
}

export interface ServedApi {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the API app (the same one Lambda runs) on a loopback port with Node's HTTP server. */
export async function serveApi(p: ServeApiParameters): Promise<ServedApi> {
  const settings = resolveApiSettings(p.settings);
  const dashboardHtml = p.dashboard === false ? undefined : await buildDashboardPage();
  const streamStats = createStreamStats();
  const app = createApiApp({
    ...p,
    settings,
    streamStats,
    dashboardHtml,
    clientIdOf: (c) => getConnInfo(c).remote.address ?? "unknown",
    dropConnection: (c) => (c.env as HttpBindings).outgoing.destroy(),
  });
  const host = p.host ?? "127.0.0.1";
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: p.port ?? 0, hostname: host }, (info: AddressInfo) =>
        resolve({ server: s, port: info.port }),
      );
      s.once("error", reject);
    },
  );
  // The WebSocket stream shares the SSE route's log, settings and counters (and so its connection limit).
  const ws: WebSocketStream | undefined =
    p.eventLog === undefined
      ? undefined
      : attachWebSocketStream(server as Server, { log: p.eventLog, settings, stats: streamStats });
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        ws?.close();
        // Open keep-alive and event-stream connections would hold close() forever.
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
