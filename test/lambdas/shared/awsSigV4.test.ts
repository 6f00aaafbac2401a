import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { sha256Hex, signature, signRequest } from "../../../lambdas/shared/awsSigV4.js";
import { checkSigV4 } from "../../../scripts/local/sigV4Check.js";

/** The credentials, scope and time of AWS's SigV4 test suite (aws-sig-v4-test-suite). */
const SUITE = {
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  scope: { region: "us-east-1", service: "service" },
  date: "20150830T123600Z",
  headers: { Host: "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z" },
};

/** The SDK signer's hash interface over node:crypto (what @smithy/hash-node does). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret instanceof ArrayBuffer ? new Uint8Array(secret) : secret;
    this.hash = key ? createHmac("sha256", key as string | Uint8Array) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update((data instanceof ArrayBuffer ? new Uint8Array(data) : data) as string | Uint8Array);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

describe("SigV4 signing", () => {
  it("gives AWS's published signatures for the test suite's get-vanilla requests", () => {
    // Prepare
    const request = { method: "GET", path: "/", headers: SUITE.headers, payloadHash: sha256Hex("") };
    // Act
    const vanilla = signature(request, SUITE.credentials, SUITE.scope, SUITE.date);
    const queryOrder = signature(
      { ...request, query: { Param2: "value2", Param1: "value1" } },
      SUITE.credentials,
      SUITE.scope,
      SUITE.date,
    );
    // Assess
    expect(vanilla.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    expect(queryOrder.signature).toBe("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  });

  it("signs an SQS JSON request with a session token exactly as the AWS SDK's signer does", async () => {
    // Prepare: a SendMessageBatch as the light client sends it, temporary credentials.
    const credentials = { ...SUITE.credentials, sessionToken: "FQoGZXIvYXdzEXAMPLE//token" };
    const body = JSON.stringify({ QueueUrl: "https://sqs.eu-west-1.amazonaws.com/1/q.fifo", Entries: [] });
    const headers = {
      host: "sqs.eu-west-1.amazonaws.com",
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "AmazonSQS.SendMessageBatch",
    };
    const now = new Date("2026-12-02T01:02:03Z");
    // applyChecksum off: SQS requests carry no x-amz-content-sha256 (S3 requests do, and ours add it there).
    const sdk = new SignatureV4({
      credentials,
      region: "eu-west-1",
      service: "sqs",
      sha256: NodeSha256,
      applyChecksum: false,
    });
    // Act
    const ours = signRequest(
      { method: "POST", path: "/", headers, payloadHash: sha256Hex(body) },
      credentials,
      { region: "eu-west-1", service: "sqs" },
      now,
    );
    const theirs = await sdk.sign(
      { method: "POST", protocol: "https:", hostname: headers.host, path: "/", query: {}, headers, body },
      { signingDate: now },
    );
    // Assess
    expect(ours.authorization).toBe(theirs.headers.authorization);
    expect(ours["x-amz-security-token"]).toBe(credentials.sessionToken);
  });

  it("verifies what it signs, and refuses a changed body, a wrong secret and an unknown key", () => {
    // Prepare
    const body = '{"QueueUrl":"q"}';
    const signed = signRequest(
      {
        method: "POST",
        path: "/",
        headers: { host: "127.0.0.1:9", "x-amz-target": "AmazonSQS.SendMessageBatch" },
        payloadHash: sha256Hex(body),
      },
      SUITE.credentials,
      { region: "us-east-1", service: "sqs" },
    );
    const arrived = (b: string) => ({ method: "POST", rawUrl: "/", headers: signed, body: Buffer.from(b) });
    // Act / Assess
    expect(checkSigV4(arrived(body), SUITE.credentials)).toBeUndefined();
    expect(checkSigV4(arrived('{"QueueUrl":"other"}'), SUITE.credentials)?.code).toBe(
      "SignatureDoesNotMatch",
    );
    expect(checkSigV4(arrived(body), { ...SUITE.credentials, secretAccessKey: "x" })?.code).toBe(
      "SignatureDoesNotMatch",
    );
    expect(checkSigV4(arrived(body), { ...SUITE.credentials, accessKeyId: "other" })?.code).toBe(
      "InvalidClientTokenId",
    );
    expect(checkSigV4({ ...arrived(body), headers: {} }, SUITE.credentials)?.code).toBe(
      "IncompleteSignature",
    );
  });
});
