import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A Lambda function URL request (payload 2.0), as the stream function receives it. */
function functionUrlEvent(path: string) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "abc.lambda-url.us-east-1.on.aws", accept: "application/json" },
    requestContext: {
      accountId: "anonymous",
      apiId: "abc",
      domainName: "abc.lambda-url.us-east-1.on.aws",
      domainPrefix: "abc",
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "198.51.100.9", userAgent: "test" },
      requestId: "r",
      routeKey: "$default",
      stage: "$default",
      time: "02/Dec/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

/**
 * What Lambda's Node.js runtime provides to a RESPONSE_STREAM function: `streamifyResponse` hands the
 * handler a writable stream, `HttpResponseStream.from` writes the status and headers before the body.
 */
const runtime = {
  metadata: [] as unknown[],
  streamifyResponse: (fn: unknown) => fn,
  HttpResponseStream: {
    from: (stream: Writable, metadata: unknown) => {
      runtime.metadata.push(metadata);
      return stream;
    },
  },
};

function collector(): { stream: Writable; done: Promise<string> } {
  const chunks: Buffer[] = [];
  let finish: (body: string) => void = () => {};
  const done = new Promise<string>((resolve) => {
    finish = resolve;
  });
  const stream = new Writable({
    write(chunk, _enc, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
    final(callback) {
      finish(Buffer.concat(chunks).toString("utf8"));
      callback();
    },
  });
  return { stream, done };
}

describe("the streaming Lambda handler (function URL, RESPONSE_STREAM)", () => {
  const saved = { ...process.env };
  beforeAll(() => {
    (globalThis as Record<string, unknown>).awslambda = runtime;
    process.env.SINK = "duckdb";
    process.env.DUCKDB_PATH = ":memory:";
  });
  afterAll(() => {
    process.env = saved;
    delete (globalThis as Record<string, unknown>).awslambda;
  });

  it("streams the app's answer after its status and headers", async () => {
    // Prepare
    const { handler } = (await import("../../../lambdas/api/streamHandler.js")) as unknown as {
      handler: (event: unknown, stream: Writable, context: unknown) => Promise<void>;
    };
    const out = collector();
    // Act
    await handler(functionUrlEvent("/health"), out.stream, {});
    const body = await out.done;
    // Assess
    expect(runtime.metadata[0]).toMatchObject({
      statusCode: 200,
      headers: { "content-type": expect.stringContaining("application/json") },
    });
    expect(JSON.parse(body)).toMatchObject({ status: "healthy", checks: { sink: { status: "up" } } });
  });
});
