import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonRpcForwarder, startLoopbackServer } from "./loopbackRpcServer.js";

/**
 * What a provider in front of a healthy node shows:
 * - `healthy`: the node itself;
 * - `lagging`: a node `lagBlocks` behind: a lower head, `null` for blocks above it, no logs from them,
 *   "unknown block" for a hash above it;
 * - `loadBalanced`: one URL over two backends, a lagging one and a healthy one, alternating per HTTP request
 *   (what a provider's load balancer in front of nodes at different heights does).
 */
export type ProviderMode =
  | { readonly kind: "healthy" }
  | { readonly kind: "lagging"; readonly lagBlocks: number }
  | { readonly kind: "loadBalanced"; readonly lagBlocks: number };

export interface ProviderFaultProxy {
  readonly url: string;
  /** Switched at run time; takes effect for the next request. */
  readonly control: { mode: ProviderMode };
  /** HTTP answers that differ from the healthy node's because they were served lagging, by mode kind. */
  readonly altered: Readonly<Record<string, number>>;
  /** HTTP requests served by the lagging view, by mode kind (altered or not). */
  readonly servedLagging: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

interface Call {
  readonly id?: unknown;
  readonly jsonrpc?: string;
  readonly method?: string;
  readonly params?: unknown[];
}
interface Answer {
  readonly id?: unknown;
  readonly jsonrpc?: string;
  result?: unknown;
  error?: { code: number; message: string };
}

type Forward = (body: unknown) => Promise<unknown>;

const HEAD_TAGS = new Set(["latest", "pending"]);
const BEHIND_HEAD_TAGS = new Set(["safe", "finalized"]);
const toHex = (n: number) => `0x${n.toString(16)}`;

/**
 * The calls of one HTTP body answered as a node `lagBlocks` behind `upstream` would: every block above
 * `head − lagBlocks` is unknown. Returns the answers and whether any differs from the healthy node's.
 */
export async function answerLagging(
  calls: readonly Call[],
  lagBlocks: number,
  forward: Forward,
): Promise<{ answers: Answer[]; altered: boolean }> {
  const head = Number(
    ((await forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber" })) as Answer).result,
  );
  const lagHead = Math.max(0, head - lagBlocks);
  const rewritten = calls.map((c) => rewriteCall(c, lagHead));
  const toSend = rewritten.filter((r) => r.send !== undefined).map((r) => r.send as Call);
  const forwarded = toSend.length > 0 ? ((await forward(toSend)) as Answer[]) : [];
  const byId = new Map(forwarded.map((a) => [JSON.stringify(a.id), a]));
  let altered = false;
  const answers = rewritten.map((r, i) => {
    const call = calls[i] as Call;
    if (r.answer !== undefined) {
      altered ||= r.altered;
      return { jsonrpc: "2.0", id: call.id ?? null, ...r.answer };
    }
    const healthy = byId.get(JSON.stringify(r.send?.id)) ?? {
      id: call.id,
      error: { code: -32603, message: "no answer" },
    };
    const trimmed = trimAnswer(call, { ...healthy, id: call.id }, lagHead);
    altered ||= r.altered || trimmed.altered;
    return trimmed.answer;
  });
  // A safe/finalized tag above the lagging head is that head: the node knows nothing newer.
  for (const [i, call] of calls.entries()) {
    const tag = call.params?.[0];
    const answer = answers[i] as Answer;
    if (call.method !== "eth_getBlockByNumber" || typeof tag !== "string" || !BEHIND_HEAD_TAGS.has(tag))
      continue;
    if (answer.result !== null) continue;
    const atHead = { ...call, id: 0, params: [toHex(lagHead), ...(call.params ?? []).slice(1)] };
    answer.result = ((await forward(atHead)) as Answer).result;
  }
  return { answers, altered };
}

/** A call rewritten for a node whose head is `lagHead`: answered at once, or sent (maybe changed). */
function rewriteCall(
  call: Call,
  lagHead: number,
): { send?: Call; answer?: Omit<Answer, "id">; altered: boolean } {
  const params = call.params ?? [];
  switch (call.method) {
    case "eth_blockNumber":
      return { answer: { result: toHex(lagHead) }, altered: true };
    case "eth_getBlockByNumber": {
      const tag = params[0];
      if (typeof tag === "string" && HEAD_TAGS.has(tag))
        return { send: { ...call, params: [toHex(lagHead), ...params.slice(1)] }, altered: true };
      if (typeof tag === "string" && tag.startsWith("0x") && Number(tag) > lagHead)
        return { answer: { result: null }, altered: true };
      return { send: call, altered: false };
    }
    case "eth_getLogs": {
      const filter = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
      if (filter.blockHash !== undefined) return { send: call, altered: false };
      const from = filter.fromBlock?.startsWith("0x") ? Number(filter.fromBlock) : undefined;
      if (from !== undefined && from > lagHead) return { answer: { result: [] }, altered: true };
      return { send: call, altered: false };
    }
    default:
      return { send: call, altered: false };
  }
}

/** Drops from a healthy answer whatever lies above `lagHead`: blocks, logs, receipts, transactions. */
function trimAnswer(call: Call, answer: Answer, lagHead: number): { answer: Answer; altered: boolean } {
  const above = (x: unknown) =>
    typeof x === "object" &&
    x !== null &&
    typeof (x as { blockNumber?: unknown; number?: unknown }).blockNumber === "string"
      ? Number((x as { blockNumber: string }).blockNumber) > lagHead
      : typeof (x as { number?: unknown } | null)?.number === "string" &&
        Number((x as { number: string }).number) > lagHead;
  const { result } = answer;
  if (call.method === "eth_getLogs" && Array.isArray(result)) {
    const kept = result.filter((log) => !above(log));
    const filter = (call.params?.[0] ?? {}) as { blockHash?: string };
    // EIP-234: a node asked for the logs of a block it does not have says so.
    if (filter.blockHash !== undefined && kept.length < result.length)
      return {
        answer: { ...answer, result: undefined, error: { code: -32000, message: "unknown block" } },
        altered: true,
      };
    return { answer: { ...answer, result: kept }, altered: kept.length < result.length };
  }
  if (Array.isArray(result) && result.some(above)) {
    return { answer: { ...answer, result: null }, altered: true };
  }
  if (above(result)) return { answer: { ...answer, result: null }, altered: true };
  return { answer, altered: false };
}

/**
 * A JSON-RPC proxy on a loopback port in front of a healthy node, whose provider behaviour is switched at
 * run time: healthy, lagging N blocks, or a load balancer alternating between lagging and healthy.
 */
export async function startProviderFaultProxy(parameters: {
  readonly upstream: string;
}): Promise<ProviderFaultProxy> {
  const control: { mode: ProviderMode } = { mode: { kind: "healthy" } };
  let turn = 0;
  const altered: Record<string, number> = {};
  const servedLagging: Record<string, number> = {};
  const forward: Forward = jsonRpcForwarder(parameters.upstream);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Call | Call[];
    const current = control.mode;
    const lagging =
      current.kind === "lagging" || (current.kind === "loadBalanced" && turn++ % 2 === 0)
        ? current
        : undefined;
    let body: unknown;
    if (lagging === undefined) body = await forward(parsed);
    else {
      const calls = Array.isArray(parsed) ? parsed : [parsed];
      const out = await answerLagging(calls, lagging.lagBlocks, forward);
      servedLagging[lagging.kind] = (servedLagging[lagging.kind] ?? 0) + 1;
      if (out.altered) altered[lagging.kind] = (altered[lagging.kind] ?? 0) + 1;
      body = Array.isArray(parsed) ? out.answers : out.answers[0];
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  const server = await startLoopbackServer(handle);
  return {
    url: server.url,
    control,
    altered,
    servedLagging,
    stop: () => server.stop(),
  };
}
