import { BaseError, HttpRequestError } from "viem";
import { describe, expect, it } from "vitest";
import { toRpcError } from "../../../lambdas/ingestor/chainReader.js";
import { redactSecrets } from "../../../lambdas/shared/redact.js";

const KEY = "s3cr3tAbCdEf0123456789";

describe("redactSecrets", () => {
  it("cuts URLs to their origin and hides key=value secrets, keeping block hashes readable", () => {
    // Prepare
    const hash = `0x${"ab".repeat(32)}`;
    const text = `POST https://eth-mainnet.g.alchemy.com/v2/${KEY} failed; retry https://user:pw@node.example:8545/?apikey=${KEY} for block ${hash}; Authorization: Bearer ${KEY}; {"api_key":"${KEY}"}`;

    // Act
    const redacted = redactSecrets(text);

    // Assess
    expect(redacted).not.toContain(KEY);
    expect(redacted).not.toContain("pw@");
    expect(redacted).toContain("https://eth-mainnet.g.alchemy.com/[redacted]");
    expect(redacted).toContain(hash);
  });
});

describe("toRpcError", () => {
  it("redacts a provider's error body before it reaches an error message (and so a log line)", () => {
    // Prepare: the provider echoes the request URL, key in the path, in its error body
    const error = new HttpRequestError({
      url: `https://eth-mainnet.g.alchemy.com/v2/${KEY}`,
      status: 401,
      details: `invalid key: https://eth-mainnet.g.alchemy.com/v2/${KEY}?token=${KEY}`,
    });

    // Act
    const wrapped = toRpcError(error, "eth_getLogs failed");

    // Assess
    expect(error).toBeInstanceOf(BaseError);
    expect(wrapped.message).toMatch(/^eth_getLogs failed: /);
    expect(wrapped.message).not.toContain(KEY);
  });
});
