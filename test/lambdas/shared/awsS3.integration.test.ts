import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payloadObjectKey } from "../../../lambdas/ingestApi/objectStore.js";
import { fetchPayloads } from "../../../lambdas/processor/withClaimCheckedPayloads.js";
import { createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { createS3RestClient, createS3RestObjectStore } from "../../../lambdas/shared/awsS3.js";
import { RetryableError } from "../../../lambdas/shared/errors.js";
import {
  LOCAL_AWS_CREDENTIALS,
  LOCAL_AWS_REGION,
  localAwsConfig,
} from "../../../scripts/local/localAwsConfig.js";
import { type SqsServer, startSqsServer } from "../../../scripts/local/sqsServer.js";
import { apiEvent, record } from "../../support/events.js";

const BUCKET = "claim-checks";

describe("the light S3 client against the local object store (signatures checked)", () => {
  let server: SqsServer;
  let sdk: S3Client;
  const requester = createAwsRequester({ region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS });
  let store: ReturnType<typeof createS3RestObjectStore>;

  beforeAll(async () => {
    server = await startSqsServer({ verifySignatures: true });
    sdk = new S3Client({ ...localAwsConfig(server.endpoint), forcePathStyle: true });
    await sdk.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = createS3RestObjectStore({
      s3: createS3RestClient({ requester, endpoint: server.endpoint }),
      bucket: BUCKET,
    });
  });
  afterAll(async () => {
    requester.destroy();
    sdk?.destroy();
    await server?.stop();
  });

  it("puts and gets a claim-checked payload the processor then writes whole, every request verified", async () => {
    // Prepare: the API's event with its payload claim-checked.
    const payload = { blob: "é".repeat(3000), n: 1 };
    const inline = apiEvent("big", 1, payload);
    const key = payloadObjectKey(inline.payloadSha256);
    const refusedBefore = server.signatures.refused;
    // Act
    const ref = await store.put(key, JSON.stringify(payload));
    const viaSdk = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const [fetched] = await fetchPayloads(
      [record({ ...inline, payload: undefined, payloadRef: ref })],
      store,
    );
    // Assess
    expect(ref).toBe(`s3://${BUCKET}/${key}`);
    expect(JSON.parse((await viaSdk.Body?.transformToString("utf8")) ?? "")).toEqual(payload);
    expect(fetched?.event).toMatchObject({ payload });
    expect(server.signatures.refused).toBe(refusedBefore);
    expect(server.signatures.verified).toBeGreaterThanOrEqual(3);
  });

  it("reports a missing object as retryable, naming the object and S3's code", async () => {
    // Act
    const error = await store.get("payloads/missing.json").catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain(`s3://${BUCKET}/payloads/missing.json`);
    expect((error as RetryableError).context).toMatchObject({
      awsError: "NoSuchKey",
      key: "payloads/missing.json",
    });
  });

  it("reports a request the store refuses (a wrong secret) as retryable, naming the object", async () => {
    // Prepare
    const wrong = createAwsRequester({
      region: LOCAL_AWS_REGION,
      credentials: { ...LOCAL_AWS_CREDENTIALS, secretAccessKey: "not-the-secret" },
    });
    const refusing = createS3RestObjectStore({
      s3: createS3RestClient({ requester: wrong, endpoint: server.endpoint }),
      bucket: BUCKET,
    });
    // Act
    const error = await refusing.get("payloads/any.json").catch((e: unknown) => e);
    wrong.destroy();
    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).context).toMatchObject({ awsError: "SignatureDoesNotMatch" });
  });
});
