import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startCountingRpcProxy } from "../../bench/countingRpcProxy.js";

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** A node answering each body with a fixed byte string (multi-byte UTF-8 included). */
async function node(answer: Buffer): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stops.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("startCountingRpcProxy", () => {
  it("forwards the node's answer byte for byte and counts requests, calls and methods", async () => {
    // Prepare
    const answer = Buffer.from(JSON.stringify([{ jsonrpc: "2.0", id: 0, result: "é✓".repeat(50_000) }]));
    const proxy = await startCountingRpcProxy(await node(answer));
    stops.push(() => proxy.stop());
    const post = (body: unknown) =>
      fetch(proxy.url, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        bytes: Buffer.from(await r.arrayBuffer()),
      }));

    // Act
    const batch = await post([
      { jsonrpc: "2.0", id: 0, method: "eth_getBlockByNumber", params: ["0x1", false] },
      { jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x2", false] },
    ]);
    const single = await post({ jsonrpc: "2.0", id: 2, method: "eth_getLogs", params: [{}] });

    // Assess
    expect(batch.status).toBe(200);
    expect(batch.bytes.equals(answer)).toBe(true);
    expect(single.bytes.equals(answer)).toBe(true);
    expect(proxy.counts()).toEqual({
      httpRequests: 2,
      httpResponses: 2,
      rpcCalls: 3,
      byMethod: { eth_getBlockByNumber: 2, eth_getLogs: 1 },
    });
  });

  it("answers 502 when the node is down, and still counts the exchange", async () => {
    // Prepare: nothing listens on port 9
    const proxy = await startCountingRpcProxy("http://127.0.0.1:9");
    stops.push(() => proxy.stop());

    // Act
    const res = await fetch(proxy.url, { method: "POST", body: "{}" });
    await res.text();

    // Assess
    expect(res.status).toBe(502);
    expect(proxy.counts()).toMatchObject({ httpRequests: 1, httpResponses: 1 });
  });
});
