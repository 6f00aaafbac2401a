import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import {
  type AwsCredentials,
  parseAuthorization,
  sha256Hex,
  signature,
} from "../../lambdas/shared/awsSigV4.js";

/** What the server counted: a test asserts that requests were checked, not waved through. */
export interface SignatureCounts {
  verified: number;
  refused: number;
}

export interface SigV4Refusal {
  readonly code: "IncompleteSignature" | "InvalidClientTokenId" | "SignatureDoesNotMatch";
  readonly message: string;
}

/** Payload hashes that are not the body's: streamed or unsigned bodies are signed as the header says. */
const NOT_A_BODY_HASH = /^(UNSIGNED-PAYLOAD|STREAMING-)/;

/**
 * Check one request's SigV4 signature as AWS would: rebuild the canonical request from what arrived
 * (method, raw path, query, the headers it says it signed, the body's hash) and sign it with the
 * secret the access key names. Returns why it is refused, or undefined when it verifies.
 */
export function checkSigV4(
  request: {
    readonly method: string;
    /** As on the request line: path and query, still encoded. */
    readonly rawUrl: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: Buffer;
  },
  credentials: Pick<AwsCredentials, "accessKeyId" | "secretAccessKey">,
): SigV4Refusal | undefined {
  const auth = parseAuthorization(request.headers.authorization);
  if (!auth) {
    return { code: "IncompleteSignature", message: "no AWS4-HMAC-SHA256 Authorization header" };
  }
  if (auth.accessKeyId !== credentials.accessKeyId) {
    return { code: "InvalidClientTokenId", message: `unknown access key ${auth.accessKeyId}` };
  }
  const date = request.headers["x-amz-date"];
  if (typeof date !== "string" || !date.startsWith(auth.day)) {
    return {
      code: "IncompleteSignature",
      message: `x-amz-date ${date} does not match the scope's day ${auth.day}`,
    };
  }
  const bodyHash = sha256Hex(request.body);
  const declared = request.headers["x-amz-content-sha256"];
  if (typeof declared === "string" && !NOT_A_BODY_HASH.test(declared) && declared !== bodyHash) {
    return { code: "SignatureDoesNotMatch", message: "x-amz-content-sha256 is not the body's hash" };
  }
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) {
      return { code: "SignatureDoesNotMatch", message: `signed header ${name} is missing` };
    }
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const [path = "/", search = ""] = request.rawUrl.split("?", 2);
  const expected = signature(
    {
      method: request.method,
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers,
      payloadHash: typeof declared === "string" ? declared : bodyHash,
    },
    credentials,
    { region: auth.region, service: auth.service },
    date,
  );
  if (expected.signature !== auth.signature) {
    return {
      code: "SignatureDoesNotMatch",
      message: `The request signature we calculated does not match the signature you provided. Canonical request:\n${expected.canonical}`,
    };
  }
  return undefined;
}

interface HookReply {
  code(status: number): HookReply;
  header(name: string, value: string): HookReply;
  send(body: string): HookReply;
}

/** The part of a Fastify app the check hooks into (fauxqs's app is one). */
interface HookableApp {
  addHook(
    name: "preParsing",
    hook: (
      request: { method: string; originalUrl: string; headers: IncomingHttpHeaders },
      reply: HookReply,
      payload: NodeJS.ReadableStream,
    ) => Promise<unknown>,
  ): unknown;
}

/**
 * Refuse every request whose signature does not verify, before the server parses it: 403 with the
 * protocol's error shape (JSON for SQS, XML for S3). The body is read here and handed on unchanged.
 */
export function addSigV4Check(
  app: HookableApp,
  credentials: Pick<AwsCredentials, "accessKeyId" | "secretAccessKey">,
  counts: SignatureCounts,
): void {
  app.addHook("preParsing", async (request, reply, payload) => {
    const chunks: Buffer[] = [];
    for await (const chunk of payload as AsyncIterable<Buffer | string>) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    }
    const body = Buffer.concat(chunks);
    const refusal = checkSigV4(
      { method: request.method, rawUrl: request.originalUrl, headers: request.headers, body },
      credentials,
    );
    if (refusal) {
      counts.refused++;
      const json = String(request.headers["content-type"] ?? "").includes("x-amz-json");
      // An async hook answers early by sending and returning the reply.
      return reply
        .code(403)
        .header("content-type", json ? "application/x-amz-json-1.0" : "application/xml")
        .send(
          json
            ? JSON.stringify({ __type: `com.amazon.coral.service#${refusal.code}`, message: refusal.message })
            : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
        );
    }
    counts.verified++;
    const stream = Readable.from([body]) as Readable & { receivedEncodedLength?: number };
    stream.receivedEncodedLength = body.length;
    return stream;
  });
}
