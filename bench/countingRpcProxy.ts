import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RpcCounts {
  /** HTTP requests received and answered. */
  readonly httpRequests: number;
  readonly httpResponses: number;
  /** JSON-RPC calls: one per element of a batch, one for a single call. */
  readonly rpcCalls: number;
  readonly byMethod: Readonly<Record<string, number>>;
}

export interface CountingRpcProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  counts(): RpcCounts;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A loopback JSON-RPC proxy in front of a node that counts what passes: HTTP requests, JSON-RPC
 * calls (batch elements counted one by one) and calls by method. Bodies are forwarded untouched.
 */
export async function startCountingRpcProxy(target: string): Promise<CountingRpcProxy> {
  let httpRequests = 0;
  let httpResponses = 0;
  let rpcCalls = 0;
  let byMethod = new Map<string, number>();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      httpRequests++;
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString("utf8")) as { method?: string } | { method?: string }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          rpcCalls++;
          const method = call.method ?? "?";
          byMethod.set(method, (byMethod.get(method) ?? 0) + 1);
        }
      } catch {
        // not JSON: forwarded all the same, the node answers the error
      }
      // Piped through as bytes over a kept-alive socket: the proxy runs in the measuring process, so
      // it must cost as little as it can (decoding each answer to a string and back cost as much CPU
      // as the reader it serves).
      const upstream = request(target, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length },
      });
      upstream.on("response", (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          "content-type": answer.headers["content-type"] ?? "application/json",
          ...(answer.headers["content-length"] ? { "content-length": answer.headers["content-length"] } : {}),
        });
        answer.pipe(res);
      });
      upstream.on("error", (error) => {
        if (res.headersSent) return void res.destroy(error);
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(error));
      });
      res.on("finish", () => {
        httpResponses++;
      });
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ httpRequests, httpResponses, rpcCalls, byMethod: Object.fromEntries(byMethod) }),
    reset() {
      httpRequests = 0;
      httpResponses = 0;
      rpcCalls = 0;
      byMethod = new Map();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
