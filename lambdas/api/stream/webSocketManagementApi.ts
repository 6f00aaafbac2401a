import { type AwsRequester, AwsServiceError } from "../../shared/awsRequest.js";

/** What a post to a connection came to: taken, or the client is gone (410). Anything else throws. */
export type PostOutcome = "sent" | "gone";

/** API Gateway's management API for one WebSocket stage: `POST|DELETE /@connections/{id}`. */
export interface WebSocketManagementApi {
  post(connectionId: string, frame: string): Promise<PostOutcome>;
  /** Closes a connection from the server side; one already gone counts as closed. */
  disconnect(connectionId: string): Promise<void>;
}

/**
 * The management API over the light request path (SigV4, signing name `execute-api`): the SDK client
 * (`@aws-sdk/client-apigatewaymanagementapi`) is not installed here, and these two calls are all the
 * stream makes. `callbackUrl` is the stage's `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
 */
export function createWebSocketManagementApi(p: {
  readonly requester: AwsRequester;
  readonly callbackUrl: string;
}): WebSocketManagementApi {
  const base = p.callbackUrl.replace(/\/+$/, "");
  const url = (id: string) => new URL(`${base}/@connections/${encodeURIComponent(id)}`);
  const call = async (method: "POST" | "DELETE", id: string, body?: string): Promise<PostOutcome> => {
    const res = await p.requester.send({
      service: "execute-api",
      method,
      url: url(id),
      ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}),
    });
    if (res.status >= 200 && res.status < 300) return "sent";
    if (res.status === 410) return "gone";
    const code = errorCode(res.body, res.headers["x-amzn-errortype"]);
    throw new AwsServiceError(
      code,
      `${method} @connections/${id}: HTTP ${res.status} ${code}`,
      res.status,
      "execute-api",
    );
  };
  return {
    post: (id, frame) => call("POST", id, frame),
    disconnect: async (id) => {
      await call("DELETE", id);
    },
  };
}

function errorCode(body: string, header: string | string[] | undefined): string {
  const fromHeader = [header].flat()[0]?.split(":")[0];
  if (fromHeader) return fromHeader;
  try {
    const parsed = JSON.parse(body) as { message?: string; __type?: string };
    return parsed.__type ?? "UnknownError";
  } catch {
    return "UnknownError";
  }
}
