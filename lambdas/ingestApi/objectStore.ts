import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { toRetryableError } from "../processor/toRetryableError.js";

/**
 * Where claim-checked payloads live. Keys are content addresses (`payloads/<sha256>.json`), so a put
 * repeated by a retry or a concurrent duplicate writes the same bytes: no put ever needs a condition.
 */
export interface ObjectStore {
  /** Returns the pointer (`s3://bucket/key` or `file://…`) the queue message carries. */
  put(key: string, body: string): Promise<string>;
  get(key: string): Promise<string>;
}

/** Where claim-checked payloads live in the store (the CDK grants exactly this prefix). */
export const PAYLOAD_PREFIX = "payloads/";

export const payloadObjectKey = (payloadSha256: string): string => `${PAYLOAD_PREFIX}${payloadSha256}.json`;

export interface CreateS3ObjectStoreParameters {
  readonly s3: S3Client;
  readonly bucket: string;
}

/** The claim-check store on AWS (@aws-sdk/client-s3). Failures are retryable: S3 refusing never proves the event bad. */
export function createS3ObjectStore({ s3, bucket }: CreateS3ObjectStoreParameters): ObjectStore {
  return {
    async put(key, body) {
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }),
        );
      } catch (error) {
        throw toRetryableError(error, `put s3://${bucket}/${key}`);
      }
      return `s3://${bucket}/${key}`;
    },
    async get(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await out.Body?.transformToString("utf8")) ?? "";
      } catch (error) {
        throw toRetryableError(error, `get s3://${bucket}/${key}`);
      }
    },
  };
}

/** Local runs without S3: files under `dir`, written then renamed so a reader never sees half a payload. */
export function createFileObjectStore(dir: string): ObjectStore {
  return {
    async put(key, body) {
      const file = join(dir, key);
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, body);
      await rename(tmp, file);
      return `file://${file}`;
    },
    get: (key) => readFile(join(dir, key), "utf8"),
  };
}
