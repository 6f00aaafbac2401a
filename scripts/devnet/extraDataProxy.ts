import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A JSON-RPC proxy in front of the L2 anvil that gives Shasta blocks their header extraData. anvil
 * mines its own headers and offers no RPC to choose a block's extraData, while a Shasta L2 block
 * carries its proposal there (7 bytes, Derivation.md). The devnet decides each block's extraData when
 * it mines it; this proxy writes it into every block the node returns (`eth_getBlockByNumber`,
 * `eth_getBlockByHash`, single or batched) and passes everything else through untouched. Block hashes
 * stay the node's (they are not recomputed over the new field): the pipeline, like any Taiko indexer,
 * trusts the node's hash and reads the header's fields. Chosen over rewriting blocks with
 * anvil_dumpState / anvil_loadState because reorgs (anvil_rollback) keep working unchanged.
 */
export interface ExtraDataProxy {
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartExtraDataProxyParameters {
  /** The node's own URL. */
  readonly target: string;
  /** The extraData of a block, by its hash (or, while it is being mined, its parent and timestamp); undefined leaves the node's. */
  readonly extraDataOf: (
    blockHash: string,
    mined: { parentHash: string; timestamp: number },
  ) => string | undefined;
}

const BLOCK_METHODS = new Set(["eth_getBlockByNumber", "eth_getBlockByHash"]);

interface RpcMessage {
  id?: unknown;
  method?: string;
  result?: unknown;
}

export async function startExtraDataProxy(p: StartExtraDataProxyParameters): Promise<ExtraDataProxy> {
  const server: Server = createServer((req, res) => {
    void forward(req, p)
      .then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      })
      .catch((error: unknown) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`extraData proxy: ${(error as Error).message}`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(
  req: IncomingMessage,
  p: StartExtraDataProxyParameters,
): Promise<{ status: number; body: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const response = await fetch(p.target, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  let request: RpcMessage | RpcMessage[];
  let answer: RpcMessage | RpcMessage[];
  try {
    request = JSON.parse(body) as RpcMessage | RpcMessage[];
    answer = JSON.parse(text) as RpcMessage | RpcMessage[];
  } catch {
    return { status: response.status, body: text };
  }
  const methods = new Map<unknown, string | undefined>(
    (Array.isArray(request) ? request : [request]).map((m) => [m.id, m.method]),
  );
  let changed = false;
  for (const message of Array.isArray(answer) ? answer : [answer]) {
    const block = message.result as
      | { hash?: string; parentHash?: string; timestamp?: string; extraData?: string }
      | null
      | undefined;
    if (!BLOCK_METHODS.has(methods.get(message.id) ?? "") || !block?.hash) continue;
    const extraData = p.extraDataOf(block.hash, {
      parentHash: block.parentHash ?? "",
      timestamp: Number(block.timestamp ?? 0),
    });
    if (extraData !== undefined) {
      block.extraData = extraData;
      changed = true;
    }
  }
  return { status: response.status, body: changed ? JSON.stringify(answer) : text };
}
