import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createJsonRpcBatch } from "../../../lambdas/ingestor/jsonRpcBatch.js";

interface Call {
  readonly id: number;
  readonly method: string;
  readonly params: unknown[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback JSON-RPC node whose answer to each batch body is up to the test. */
async function node(
  answer: (calls: Call[], res: ServerResponse) => void,
): Promise<{ url: string; bodies: Call[][] }> {
  const bodies: Call[][] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const calls = JSON.parse(text) as Call[];
    bodies.push(calls);
    answer(calls, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** Answers each call with its first parameter, in reverse order (JSON-RPC allows any order). */
const echo = (calls: Call[], res: ServerResponse) =>
  json(
    res,
    200,
    [...calls].reverse().map((c) => ({ jsonrpc: "2.0", id: c.id, result: c.params[0] })),
  );

const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ method: "echo", params: [i] }));
const options = { batchSize: 10, retryCount: 2, retryDelayMs: 10, timeoutMs: 2_000 };

describe("createJsonRpcBatch", () => {
  it("sends calls in bodies of batchSize and returns the results in call order", async () => {
    // Prepare
    const a = await node(echo);
    const batch = createJsonRpcBatch({ ...options, urls: [a.url] });

    // Act
    const results = await batch(calls(25));

    // Assess
    expect(results).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(a.bodies.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it("falls back to the next URL when one answers 429, is down, or fails a call in the body", async () => {
    // Prepare
    const limited = await node((_, res) => json(res, 429, { error: "too many requests" }));
    const failing = await node((cs, res) =>
      json(res, 200, [
        ...cs.slice(1).map((c) => ({ jsonrpc: "2.0", id: c.id, result: null })),
        { jsonrpc: "2.0", id: cs[0]?.id, error: { code: -32000, message: "header not found" } },
      ]),
    );
    const good = await node(echo);
    const down = "http://127.0.0.1:9";
    const batch = createJsonRpcBatch({ ...options, urls: [down, limited.url, failing.url, good.url] });

    // Act
    const results = await batch(calls(3));

    // Assess
    expect(results).toEqual([0, 1, 2]);
    expect([limited.bodies.length, failing.bodies.length, good.bodies.length]).toEqual([1, 1, 1]);
  });

  it("retries every URL with backoff, then fails with the last error", async () => {
    // Prepare
    const limited = await node((_, res) => json(res, 429, { error: "too many requests" }));
    const batch = createJsonRpcBatch({ ...options, urls: [limited.url] });

    // Act
    const failing = batch(calls(2));

    // Assess
    await expect(failing).rejects.toThrow(/429|HTTP request failed/);
    expect(limited.bodies).toHaveLength(1 + options.retryCount);
  });

  it("rejects a batch reply that leaves out a call, even with as many replies as calls", async () => {
    // Prepare: call 0 is not answered; call 1 is answered twice.
    const partial = await node((cs, res) =>
      json(
        res,
        200,
        cs.map((c) => ({ jsonrpc: "2.0", id: c.id === 0 ? 1 : c.id, result: c.params[0] })),
      ),
    );
    const batch = createJsonRpcBatch({ ...options, retryCount: 0, urls: [partial.url] });

    // Act
    const failing = batch(calls(3));

    // Assess
    await expect(failing).rejects.toThrow(/no answer for call 0/);
  });
});
