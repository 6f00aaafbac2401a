import { ApiError, errorBody, TooManyConnectionsError } from "../errors.js";
import type { EventLog } from "./EventLog.js";
import { parseSubscription } from "./runSubscription.js";
import type { WebSocketConnections } from "./webSocketConnections.js";

/** The part of API Gateway's WebSocket route event (`$connect`, `$disconnect`) the stream reads. */
export interface WebSocketRouteEvent {
  readonly requestContext: { readonly routeKey: string; readonly connectionId: string };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
}

export interface WebSocketRouteResult {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * `$connect` and `$disconnect` of the AWS WebSocket stream. `$connect` reads the same query as
 * `/v1/ws/events` locally (`events=`, `chain=`, resume `after=` or Last-Event-ID, else the log's
 * head), refuses a bad value with 400 and the errorBody naming it, refuses a connection past
 * `maxConnections` with 503, and stores the connection; any non-2xx answer makes API Gateway refuse
 * the handshake. Public like the HTTP API: no authorizer, bounded by the stage throttle and this limit.
 * The count is read before the write, so connects racing at the limit may pass it by their number.
 */
export async function handleWebSocketRoute(
  event: WebSocketRouteEvent,
  deps: {
    readonly log: EventLog;
    readonly connections: WebSocketConnections;
    readonly maxConnections: number;
    readonly now?: () => number;
  },
): Promise<WebSocketRouteResult> {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === "$disconnect") {
    await deps.connections.remove(connectionId);
    return { statusCode: 200 };
  }
  if (routeKey !== "$connect") return answer(new RouteNotServedError(routeKey));
  try {
    const query = event.queryStringParameters ?? {};
    const subscription = await parseSubscription(
      (name) => query[name],
      headerOf(event.headers, "last-event-id"),
      deps.log,
    );
    if ((await deps.connections.count()) >= deps.maxConnections) {
      throw new TooManyConnectionsError(deps.maxConnections);
    }
    await deps.connections.add({
      connectionId,
      after: subscription.after,
      filter: subscription.filter,
      connectedAt: (deps.now ?? Date.now)(),
    });
    return { statusCode: 200 };
  } catch (error) {
    if (error instanceof ApiError) return answer(error);
    throw error;
  }
}

class RouteNotServedError extends ApiError {
  readonly status = 404;
  readonly code = "not_found";
  readonly retryable = false;
  constructor(routeKey: string) {
    super(`route ${routeKey} is not served: the stream only sends`, { field: "routeKey" });
  }
}

function answer(error: ApiError): WebSocketRouteResult {
  return { statusCode: error.status, body: JSON.stringify({ error: errorBody(error) }) };
}

/** API Gateway passes headers as the client sent them: case differs between clients. */
function headerOf(headers: WebSocketRouteEvent["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}
