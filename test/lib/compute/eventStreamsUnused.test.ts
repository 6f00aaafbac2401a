import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Format } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAMBDA_BUNDLE_ALIASES,
  LAMBDA_BUNDLE_OUTPUT,
  LAMBDA_EXTERNAL_MODULES,
} from "../../../lib/compute/lambdaBundling.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A Lambda client, bundled as the functions are (the aliases included), calling a local endpoint. */
const ENTRY = `
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from "@aws-sdk/client-lambda";
export const client = (endpoint) =>
  new LambdaClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1 });
export const invoke = (c) => c.send(new InvokeCommand({ FunctionName: "f", Payload: new TextEncoder().encode("{}") }));
export const invokeStreaming = (c) => c.send(new InvokeWithResponseStreamCommand({ FunctionName: "f" }));
`;

let dir: string;
let bundle: {
  client: (endpoint: string) => unknown;
  invoke: (client: unknown) => Promise<{ StatusCode?: number; Payload?: Uint8Array }>;
  invokeStreaming: (client: unknown) => Promise<unknown>;
};
let endpoint: string;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const streaming = req.url?.includes("response-streaming-invocations");
    res
      .writeHead(200, {
        "content-type": streaming ? "application/vnd.amazon.eventstream" : "application/json",
        "x-amz-executed-version": "$LATEST",
      })
      .end(streaming ? "" : '{"ok":true}');
  });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidemark-event-streams-"));
  const outfile = join(dir, "index.js");
  await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "js" },
    bundle: true,
    platform: "node",
    format: LAMBDA_BUNDLE_OUTPUT.format as Format,
    target: LAMBDA_BUNDLE_OUTPUT.target,
    mainFields: [...LAMBDA_BUNDLE_OUTPUT.mainFields],
    external: [...LAMBDA_EXTERNAL_MODULES],
    alias: { ...LAMBDA_BUNDLE_ALIASES },
    outfile,
    logLevel: "silent",
  });
  bundle = createRequire(import.meta.url)(outfile);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("the Lambda bundles without the event-stream codec (lambdas/shared/eventStreamsUnused.ts)", () => {
  it("still build a client whose config wires an event-stream marshaller, and its plain calls work", async () => {
    // Act
    const out = await bundle.invoke(bundle.client(endpoint));

    // Assess
    expect(out.StatusCode).toBe(200);
    expect(new TextDecoder().decode(out.Payload)).toBe('{"ok":true}');
  });

  it("fail an event-stream operation with an error that names what is missing", async () => {
    // Act
    const error = await bundle.invokeStreaming(bundle.client(endpoint)).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toMatch(
      /AWS event-stream operations are not bundled in Tidemark's Lambda functions/,
    );
  });
});
