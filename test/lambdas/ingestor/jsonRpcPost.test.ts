import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createJsonRpcPost } from "../../../lambdas/ingestor/jsonRpcPost.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

/** A loopback node that records each request and answers as the test says. */
async function node(
  answer: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ port: number; seen: { headers: IncomingMessage["headers"]; body: string }[] }> {
  const seen: { headers: IncomingMessage["headers"]; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push({ headers: req.headers, body });
    answer(req, body, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

const reply = [{ jsonrpc: "2.0", id: 0, result: "0x1" }];

describe("createJsonRpcPost", () => {
  it("posts the body as JSON and reads a gzip answer, sending URL credentials as Basic auth", async () => {
    // Prepare
    const n = await node((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify(reply)));
    });
    let hooked = 0;
    const post = createJsonRpcPost({
      url: `http://user:s3cret@127.0.0.1:${n.port}/v2/key`,
      timeoutMs: 2_000,
      onFetchRequest: () => void hooked++,
    });

    // Act
    const answer = await post([{ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }]);

    // Assess
    expect(answer).toEqual(reply);
    expect(JSON.parse(n.seen[0]?.body ?? "")).toEqual([
      { jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] },
    ]);
    expect(n.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from("user:s3cret").toString("base64")}`);
    expect(hooked).toBe(1);
  });

  it("rejects an HTTP error, a non-JSON answer and an answer over the cap, without the URL's key", async () => {
    // Prepare
    const limited = await node((_req, _body, res) => {
      res.writeHead(429, { "content-type": "text/plain" });
      res.end("slow down, see https://provider.example/v2/SECRETKEY");
    });
    const garbled = await node((_req, _body, res) => res.end("<html>gateway</html>"));
    const big = await node((_req, _body, res) => res.end(JSON.stringify([{ result: "x".repeat(5_000) }])));
    const url = (port: number) => `http://127.0.0.1:${port}/v2/SECRETKEY`;

    // Act
    const results = await Promise.allSettled([
      createJsonRpcPost({ url: url(limited.port), timeoutMs: 2_000 })([]),
      createJsonRpcPost({ url: url(garbled.port), timeoutMs: 2_000 })([]),
      createJsonRpcPost({ url: url(big.port), timeoutMs: 2_000, maxResponseBytes: 1_000 })([]),
    ]);

    // Assess
    const messages = results.map((r) => (r.status === "rejected" ? String(r.reason) : "resolved"));
    expect(messages[0]).toMatch(/HTTP 429/);
    expect(messages[1]).toMatch(/not JSON/);
    expect(messages[2]).toMatch(/over 1000 bytes/);
    for (const m of messages) expect(m).not.toContain("SECRETKEY");
  });

  it("sends a read again on a fresh socket when the kept-alive one was closed by the node", async () => {
    // Prepare: the node answers the first request, then drops the socket the second one arrives on
    let requests = 0;
    const n = await node((req, _body, res) => {
      requests++;
      if (requests === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(reply));
    });
    const post = createJsonRpcPost({ url: `http://127.0.0.1:${n.port}`, timeoutMs: 2_000 });
    await post([]);

    // Act
    const answer = await post([]);

    // Assess
    expect(answer).toEqual(reply);
    expect(requests).toBe(3);
    expect(new Set(n.seen.map((s) => s.body))).toEqual(new Set(["[]"]));
  });

  it("gives up on a node that does not answer within the timeout", async () => {
    // Prepare: the node reads the request and never answers
    const silent = await node(() => undefined);
    const post = createJsonRpcPost({ url: `http://127.0.0.1:${silent.port}`, timeoutMs: 200 });

    // Act / Assess
    await expect(post([])).rejects.toThrow(/timed out after 200 ms/);
  });
});
