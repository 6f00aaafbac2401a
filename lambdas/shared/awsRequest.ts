import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { THROTTLE_EXCEPTIONS } from "../processor/toRetryableError.js";
import { type AwsCredentials, sha256Hex, signRequest } from "./awsSigV4.js";

/**
 * The light AWS request path: one signed HTTP request per call over keep-alive sockets, no middleware
 * stack. For the hot calls where the SDK's per-request CPU (middleware, serde, signing: ~2 ms per
 * SendMessageBatch, bench `ingest`) is the bottleneck, and for the processor's one S3 read, whose
 * SDK client would be a fifth of its bundle (bench `bundles`).
 */

/** Credentials, or what resolves them (an SDK provider works: it has the same shape). */
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface AwsRequesterParameters {
  readonly region: string;
  readonly credentials: CredentialSource;
  /** Sockets kept open per host. @default 64 */
  readonly maxSockets?: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export interface AwsHttpRequest {
  /** The signing name (`sqs`, `s3`). */
  readonly service: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** S3 wants the payload hash in a header too. */
  readonly contentSha256Header?: boolean;
}

export interface AwsHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface AwsRequester {
  readonly region: string;
  /** Sends the signed request; resolves with any HTTP answer, rejects only when none came. */
  send(request: AwsHttpRequest): Promise<AwsHttpResponse>;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

/**
 * An AWS service's refusal, named by its error code as the SDK names its exceptions, so that
 * `toRetryableError` classifies both alike; `$retryable.throttling` as the SDK sets it.
 */
export class AwsServiceError extends Error {
  readonly $retryable: { readonly throttling: boolean } | undefined;

  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly service: string,
  ) {
    super(message || `${service} answered HTTP ${status} (${code})`);
    this.name = code;
    const throttling = status === 429 || THROTTLE_EXCEPTIONS.has(code) || code === "SlowDown";
    this.$retryable = throttling || status >= 500 ? { throttling } : undefined;
  }
}

/**
 * An AWS JSON protocol refusal (SQS, Secrets Manager): `{"__type":"com.amazonaws.sqs#QueueDoesNotExist",
 * "message":"..."}` → AwsServiceError("QueueDoesNotExist"), its message naming `what` was asked.
 */
export function awsJsonError(service: string, what: string, response: AwsHttpResponse): AwsServiceError {
  let parsed: { __type?: string; message?: string; Message?: string } = {};
  try {
    parsed = JSON.parse(response.body);
  } catch {
    // A proxy's or load balancer's page: the status says enough.
  }
  const code = parsed.__type?.split("#").pop()?.split(":")[0] || `Http${response.status}`;
  const detail = parsed.message ?? parsed.Message ?? response.body.slice(0, 200);
  return new AwsServiceError(
    code,
    `${what} failed with HTTP ${response.status} ${code}: ${detail}`,
    response.status,
    service,
  );
}

/** What writing to a kept-alive socket the peer already closed fails with. */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);

/** Temporary credentials are fetched again this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;

export function createAwsRequester(parameters: AwsRequesterParameters): AwsRequester {
  const { region } = parameters;
  const now = parameters.now ?? (() => new Date());
  const agentOptions = { keepAlive: true, maxSockets: parameters.maxSockets ?? 64 };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  const resolveCredentials = memoizeCredentials(parameters.credentials, now);
  const timeoutMs = parameters.timeoutMs ?? 10_000;

  const send = async (request: AwsHttpRequest): Promise<AwsHttpResponse> => {
    const { url, body = "" } = request;
    const payloadHash = sha256Hex(body);
    const unsigned: Record<string, string> = { ...request.headers, host: url.host };
    if (request.contentSha256Header) unsigned["x-amz-content-sha256"] = payloadHash;
    const query = Object.fromEntries(url.searchParams);
    const headers = signRequest(
      { method: request.method, path: url.pathname, query, headers: unsigned, payloadHash },
      await resolveCredentials(),
      { region, service: request.service },
      now(),
    );
    if (body.length > 0) headers["content-length"] = String(Buffer.byteLength(body));
    const https = url.protocol === "https:";
    const attempt = (retryStale: boolean) =>
      new Promise<AwsHttpResponse>((resolve, reject) => {
        const req = (https ? httpsRequest : httpRequest)(
          url,
          { method: request.method, headers, agent: https ? agents.https : agents.http, timeout: timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString("utf8"),
              }),
            );
          },
        );
        req.on("timeout", () =>
          req.destroy(
            new Error(`${request.method} ${url.origin}${url.pathname} timed out after ${timeoutMs} ms`),
          ),
        );
        req.on("error", (error: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed meanwhile (a Lambda thawed after minutes): nothing was
          // answered, so the request goes once more on a fresh socket (node's documented remedy).
          if (retryStale && req.reusedSocket && STALE_SOCKET.has(error.code ?? "")) {
            attempt(false).then(resolve, reject);
          } else {
            reject(error);
          }
        });
        req.end(body);
      });
    return attempt(true);
  };

  return {
    region,
    send,
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** Resolve once; again when temporary credentials are near their expiration, or after a failure. */
function memoizeCredentials(source: CredentialSource, now: () => Date): () => Promise<AwsCredentials> {
  if (typeof source !== "function") return async () => source;
  let current: Promise<AwsCredentials> | undefined;
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    const stale =
      !held ||
      (held.expiration !== undefined && held.expiration.getTime() - now().getTime() < REFRESH_BEFORE_MS);
    if (stale) {
      current = source();
      current.catch(() => {
        current = undefined;
      });
    }
    return current as Promise<AwsCredentials>;
  };
}
