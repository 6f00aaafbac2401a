import type { ObjectStore } from "../ingestApi/objectStore.js";
import { toRetryableError } from "../processor/toRetryableError.js";
import { type AwsHttpResponse, type AwsRequester, AwsServiceError } from "./awsRequest.js";

/** What the processor needs of S3: one object's text. */
export interface S3ObjectReader {
  getObject(bucket: string, key: string): Promise<string>;
  putObject(bucket: string, key: string, body: string, contentType: string): Promise<void>;
}

export interface CreateS3RestClientParameters {
  readonly requester: AwsRequester;
  /**
   * A custom endpoint (AWS_ENDPOINT_URL_S3, a local store): addressed path-style (`/<bucket>/<key>`).
   * @default virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com`
   */
  readonly endpoint?: string;
}

/** S3's REST API over the light request path: GetObject and PutObject, signed with the payload hash. */
export function createS3RestClient(parameters: CreateS3RestClientParameters): S3ObjectReader {
  const { requester, endpoint } = parameters;
  const urlOf = (bucket: string, key: string): URL => {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return endpoint
      ? new URL(`/${bucket}/${path}`, endpoint)
      : new URL(`https://${bucket}.s3.${requester.region}.amazonaws.com/${path}`);
  };
  const send = async (method: "GET" | "PUT", bucket: string, key: string, body?: string, type?: string) => {
    const response = await requester.send({
      service: "s3",
      method,
      url: urlOf(bucket, key),
      headers: type ? { "content-type": type } : {},
      body,
      contentSha256Header: true,
    });
    if (response.status !== 200) throw s3Error(response);
    return response.body;
  };
  return {
    getObject: (bucket, key) => send("GET", bucket, key),
    putObject: async (bucket, key, body, contentType) => {
      await send("PUT", bucket, key, body, contentType);
    },
  };
}

/** `<Error><Code>NoSuchKey</Code><Message>…</Message></Error>` → AwsServiceError("NoSuchKey"). */
function s3Error(response: AwsHttpResponse): AwsServiceError {
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(response.body)?.[1];
  const code = tag("Code") ?? `Http${response.status}`;
  return new AwsServiceError(code, tag("Message") ?? "", response.status, "s3");
}

export interface CreateS3RestObjectStoreParameters {
  readonly s3: S3ObjectReader;
  readonly bucket: string;
}

/**
 * The claim-check store over the light S3 client; same contract as `createS3ObjectStore` (the SDK's):
 * every failure is a RetryableError naming `s3://bucket/key` (ThrottledError when S3 shed load), since
 * S3 refusing never proves the event bad — a missing object included (the API writes it before it
 * sends the message that points at it).
 */
export function createS3RestObjectStore({ s3, bucket }: CreateS3RestObjectStoreParameters): ObjectStore {
  const classified = async <T>(what: string, key: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw toRetryableError(error, `${what} s3://${bucket}/${key}`, { bucket, key });
    }
  };
  return {
    put: (key, body) =>
      classified("put", key, async () => {
        await s3.putObject(bucket, key, body, "application/json");
        return `s3://${bucket}/${key}`;
      }),
    get: (key) => classified("get", key, () => s3.getObject(bucket, key)),
  };
}
