import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { HttpTransportConfig } from "viem";
import { redactSecrets } from "../shared/redact.js";

export interface CreateJsonRpcPostParameters {
  readonly url: string;
  /** The whole exchange, answer body included. */
  readonly timeoutMs: number;
  /** Observe each HTTP request (tests count them); what it returns is ignored. */
  readonly onFetchRequest?: HttpTransportConfig["onFetchRequest"];
  /** The largest answer read (decompressed). @default 10 MiB, viem's cap */
  readonly maxResponseBytes?: number;
}

/** Posts one JSON-RPC body and resolves with the parsed answer; rejects on anything but a 2xx JSON answer. */
export type JsonRpcPost = (body: unknown) => Promise<unknown>;

const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** What writing to a kept-alive socket the peer already closed fails with. */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);
const DECOMPRESS: Readonly<Record<string, () => NodeJS.ReadWriteStream>> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * One JSON-RPC POST over node's HTTP client with kept-alive sockets: the header path's transport. fetch
 * (undici, under viem's HTTP client) builds web streams, abort signals and a Request per call, and
 * across a backfill's thousands of header reads that was a fifth of the read's CPU (bench `ingest`);
 * here a request is one socket write and the answer one buffer. Credentials in the URL become Basic
 * auth, as with fetch; a compressed answer is inflated. Error messages carry no URL (it may hold a key).
 */
export function createJsonRpcPost(parameters: CreateJsonRpcPostParameters): JsonRpcPost {
  const url = new URL(parameters.url);
  const https = url.protocol === "https:";
  if (!https && url.protocol !== "http:") throw new Error(`an RPC URL is http or https, got ${url.protocol}`);
  const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const maxBytes = parameters.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const { timeoutMs, onFetchRequest } = parameters;
  // What a hook sees: fetch refuses a Request whose URL holds credentials.
  const hookUrl = new URL(url);
  hookUrl.username = "";
  hookUrl.password = "";

  return async (body) => {
    const text = JSON.stringify(body);
    const headers = {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      "accept-encoding": "gzip, deflate, br",
    };
    if (onFetchRequest) {
      const init = { method: "POST", headers, body: text };
      await onFetchRequest(new Request(hookUrl, init), init);
    }
    const attempt = (retryStale: boolean) =>
      new Promise<unknown>((resolve, reject) => {
        const req = (https ? httpsRequest : httpRequest)(url, { method: "POST", agent, headers });
        const timer = setTimeout(
          () => req.destroy(new Error(`the RPC request timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
        const fail = (error: Error) => {
          clearTimeout(timer);
          reject(error);
        };
        req.on("error", (error: NodeJS.ErrnoException) => {
          // A kept-alive socket the node closed meanwhile (a Lambda thawed after minutes): nothing was
          // answered, and a read is safe to send again, once, on a fresh socket.
          if (retryStale && req.reusedSocket && STALE_SOCKET.has(error.code ?? "")) {
            clearTimeout(timer);
            attempt(false).then(resolve, reject);
          } else {
            fail(error);
          }
        });
        req.on("response", (res) => {
          readAnswer(res, maxBytes).then((answer) => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new Error(`the node answered HTTP ${status}: ${redactSecrets(answer.slice(0, 200))}`));
              return;
            }
            try {
              resolve(JSON.parse(answer));
            } catch {
              reject(new Error(`the node's answer is not JSON: ${redactSecrets(answer.slice(0, 200))}`));
            }
          }, fail);
        });
        req.end(text);
      });
    return attempt(true);
  };
}

/** The answer body as text, inflated if compressed; rejects past `maxBytes`. */
function readAnswer(res: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = String(res.headers["content-encoding"] ?? "identity").toLowerCase();
  const inflate = DECOMPRESS[encoding];
  if (!inflate && encoding !== "identity") {
    res.resume();
    return Promise.reject(new Error(`the node answered with content-encoding ${encoding}`));
  }
  const stream: Readable = inflate ? (res.pipe(inflate()) as unknown as Readable) : res;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(new Error(`the node's answer is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on("error", reject);
    res.on("error", reject);
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}
