import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { createS3RestClient, createS3RestObjectStore } from "../../../lambdas/shared/awsS3.js";
import { ThrottledError } from "../../../lambdas/shared/errors.js";

describe("the light S3 object store", () => {
  it("reports S3 shedding load (503 SlowDown) as a ThrottledError naming the object", async () => {
    // Prepare: S3 answering every request as it does under load.
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url} ${req.headers["x-amz-content-sha256"]}`);
      res
        .writeHead(503, { "content-type": "application/xml" })
        .end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const requester = createAwsRequester({
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    const store = createS3RestObjectStore({ s3: createS3RestClient({ requester, endpoint }), bucket: "b" });
    // Act
    const error = await store.get("payloads/abc.json").catch((e: unknown) => e);
    requester.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Assess: path-style on a custom endpoint, the payload hash sent and signed
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as Error).message).toContain("s3://b/payloads/abc.json");
    expect((error as Error).message).toContain("Please reduce your request rate.");
    expect(paths).toEqual([
      "GET /b/payloads/abc.json e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]);
  });
});
