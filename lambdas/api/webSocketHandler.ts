import { withTracing } from "../shared/tracing.js";
import { readApiSettings } from "./apiSettings.js";
import { handleWebSocketRoute, type WebSocketRouteEvent } from "./stream/webSocketRoutes.js";
import { webSocketStores } from "./webSocketDependencies.js";

let deps: ReturnType<typeof load> | undefined;

const load = async () => ({
  ...(await webSocketStores(process.env)),
  // One limit for the whole WebSocket API (the SSE setting is per instance; here the API is the instance).
  maxConnections: readApiSettings(process.env).sseMaxConnections,
});

/** `$connect` and `$disconnect` of the API Gateway WebSocket API (webSocketRoutes.ts). */
export const handler = withTracing(async (event: WebSocketRouteEvent) => {
  deps ??= load();
  return handleWebSocketRoute(event, await deps);
});
