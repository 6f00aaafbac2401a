import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonRpcForwarder, startLoopbackServer } from "./loopbackRpcServer.js";

/** How the proxy misbehaves; `ok` forwards everything. */
export type RpcFaultMode =
  /** Connection reset, as a node that is down. */
  | "down"
  /** No answer until the client gives up. */
  | "timeout"
  /** HTTP 429, as a rate-limited provider. */
  | "429"
  /** HTTP 500 with a JSON-RPC internal error. */
  | "error"
  /** eth_getLogs over more than `maxLogRange` blocks is refused (-32005), the rest forwarded. */
  | "wideLogs"
  | "ok";

export interface FaultyRpcProxy {
  readonly url: string;
  /** Switch the mode; takes effect for the next request. */
  setMode(mode: RpcFaultMode): void;
  readonly mode: RpcFaultMode;
  /** Requests answered with a fault, by mode. */
  readonly faults: Readonly<Record<string, number>>;
  /** HTTP requests received. */
  readonly requests: number;
  stop(): Promise<void>;
}

export interface StartFaultyRpcProxyParameters {
  readonly upstream: string;
  /** Widest eth_getLogs range accepted in `wideLogs` mode. @default 4 */
  readonly maxLogRange?: number;
  /** How long `timeout` holds a request before dropping it. @default 5_000 */
  readonly holdMs?: number;
}

interface JsonRpcRequest {
  readonly id?: unknown;
  readonly method?: string;
  readonly params?: unknown[];
}

/**
 * A JSON-RPC proxy on a loopback port in front of a node, whose failure mode can be switched at run
 * time: what a flaky provider does to the ingestor (timeouts, 429, errors, refused wide log ranges).
 */
export async function startFaultyRpcProxy(
  parameters: StartFaultyRpcProxyParameters,
): Promise<FaultyRpcProxy> {
  const { upstream, maxLogRange = 4, holdMs = 5_000 } = parameters;
  let mode: RpcFaultMode = "ok";
  let requests = 0;
  const faults: Record<string, number> = {};
  const held = new Set<ServerResponse>();
  const count = (kind: string) => {
    faults[kind] = (faults[kind] ?? 0) + 1;
  };

  const forward = jsonRpcForwarder(upstream);

  const tooWide = (r: JsonRpcRequest): boolean => {
    if (r.method !== "eth_getLogs") return false;
    const filter = (r.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    if (!filter.fromBlock?.startsWith("0x") || !filter.toBlock?.startsWith("0x")) return false;
    return Number(filter.toBlock) - Number(filter.fromBlock) + 1 > maxLogRange;
  };
  const refusal = (r: JsonRpcRequest) => ({
    jsonrpc: "2.0",
    id: r.id ?? null,
    error: { code: -32005, message: `query exceeds max block range ${maxLogRange}` },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const current = mode;
    if (current === "down") {
      count("down");
      req.socket.destroy();
      return;
    }
    if (current === "timeout") {
      count("timeout");
      held.add(res);
      setTimeout(() => {
        held.delete(res);
        req.socket.destroy();
      }, holdMs).unref();
      return;
    }
    if (current === "429") {
      count("429");
      res.writeHead(429, { "content-type": "application/json" }).end('{"error":"too many requests"}');
      return;
    }
    if (current === "error") {
      count("error");
      res
        .writeHead(500, { "content-type": "application/json" })
        .end('{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}');
      return;
    }
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
    let answer: unknown;
    if (current === "wideLogs") {
      const list = Array.isArray(parsed) ? parsed : [parsed];
      const refused = list.filter(tooWide);
      if (refused.length > 0) count("wideLogs");
      const passed = list.filter((r) => !tooWide(r));
      const forwarded = passed.length > 0 ? ((await forward(passed)) as { id?: unknown }[]) : [];
      const byId = new Map(forwarded.map((a) => [JSON.stringify(a.id), a]));
      const merged = list.map((r) => (tooWide(r) ? refusal(r) : byId.get(JSON.stringify(r.id))));
      answer = Array.isArray(parsed) ? merged : merged[0];
    } else {
      answer = await forward(parsed);
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  };

  const server = await startLoopbackServer(handle);
  return {
    url: server.url,
    setMode(next) {
      mode = next;
    },
    get mode() {
      return mode;
    },
    faults,
    get requests() {
      return requests;
    },
    async stop() {
      for (const res of held) res.socket?.destroy();
      await server.stop();
    },
  };
}
