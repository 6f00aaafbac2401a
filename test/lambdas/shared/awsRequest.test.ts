import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsRequester } from "../../../lambdas/shared/awsRequest.js";

describe("the light request path", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("sends a request again on a fresh socket when the kept-alive one was closed under it", async () => {
    // Prepare: a server that drops each connection, unanswered, at its second request (as a peer
    // closing an idle socket while a Lambda was frozen looks to the client).
    const perSocket = new Map<Socket, number>();
    let answered = 0;
    server = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2) {
        req.socket.destroy();
        return;
      }
      answered++;
      res.end("ok");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const requester = createAwsRequester({
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    const get = () => requester.send({ service: "s3", method: "GET", url });
    // Act: the second request goes out on the kept-alive socket, which the server drops.
    const first = await get();
    const second = await get();
    requester.destroy();
    // Assess: both answered; the second on a new connection
    expect([first.status, first.body, second.status, second.body]).toEqual([200, "ok", 200, "ok"]);
    expect(answered).toBe(2);
    expect(perSocket.size).toBe(2);
  });
});
