import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type AwsRequester, createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { createSecretsManagerJsonClient } from "../../../lambdas/shared/awsSecretsManager.js";
import { cachedSecretReader } from "../../../lambdas/shared/fetchSecretString.js";

let server: Server | undefined;
let requester: AwsRequester | undefined;
afterEach(async () => {
  requester?.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A Secrets Manager stand-in answering GetSecretValue from `secrets`; it records what it was asked. */
async function secretsManager(secrets: Record<string, { SecretString?: string; SecretBinary?: string }>) {
  const asked: { target?: string; type?: string; signed: boolean; body: string }[] = [];
  server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      asked.push({
        target: req.headers["x-amz-target"] as string | undefined,
        type: req.headers["content-type"],
        signed: /^AWS4-HMAC-SHA256 .*\/secretsmanager\/aws4_request/.test(req.headers.authorization ?? ""),
        body,
      });
      const id = (JSON.parse(body) as { SecretId: string }).SecretId;
      const secret = secrets[id];
      if (secret) res.writeHead(200).end(JSON.stringify({ Name: id, ...secret }));
      else
        res.writeHead(400).end(
          JSON.stringify({
            __type: "ResourceNotFoundException",
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  requester = createAwsRequester({
    region: "eu-west-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { asked, client: createSecretsManagerJsonClient({ requester, endpoint }) };
}

describe("the light Secrets Manager client", () => {
  it("reads a secret's string with a signed GetSecretValue, and a binary secret as UTF-8 text", async () => {
    // Prepare
    const { asked, client } = await secretsManager({
      "tidemark/dev/rpc-urls": { SecretString: '{"l1":"https://l1"}' },
      binary: { SecretBinary: Buffer.from("känd", "utf8").toString("base64") },
      empty: {},
    });

    // Act
    const text = await client.getSecretString("tidemark/dev/rpc-urls");
    const binary = await client.getSecretString("binary");
    const none = await client.getSecretString("empty");

    // Assess
    expect([text, binary, none]).toEqual(['{"l1":"https://l1"}', "känd", undefined]);
    expect(asked[0]).toEqual({
      target: "secretsmanager.GetSecretValue",
      type: "application/x-amz-json-1.1",
      signed: true,
      body: '{"SecretId":"tidemark/dev/rpc-urls"}',
    });
  });

  it("rejects a refusal as an error named by the service's code, naming the secret", async () => {
    // Prepare
    const { client } = await secretsManager({});

    // Act
    const error = await client.getSecretString("missing").catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: "ResourceNotFoundException", status: 400 });
    expect((error as Error).message).toBe(
      "GetSecretValue of missing failed with HTTP 400 ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
  });
});

describe("cachedSecretReader", () => {
  it("reads each secret once per max age, and again after a failed read", async () => {
    // Prepare
    let t = 0;
    const reads: string[] = [];
    let fail = true;
    const read = cachedSecretReader(
      {
        getSecretString: async (id) => {
          reads.push(id);
          if (id === "flaky" && fail) {
            fail = false;
            throw new Error("throttled");
          }
          return `${id}@${t}`;
        },
      },
      { maxAgeMs: 1000, now: () => t },
    );

    // Act
    const first = await read("a");
    t = 999;
    const cached = await read("a");
    t = 1000;
    const fresh = await read("a");
    const failed = await read("flaky").catch((e: Error) => e.message);
    const retried = await read("flaky");

    // Assess
    expect([first, cached, fresh, failed, retried]).toEqual([
      "a@0",
      "a@0",
      "a@1000",
      "throttled",
      "flaky@1000",
    ]);
    expect(reads).toEqual(["a", "a", "flaky", "flaky"]);
  });
});
