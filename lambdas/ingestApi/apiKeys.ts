import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ForbiddenError, InvalidRequestError, NotFoundError, UnauthorizedError } from "../api/errors.js";
import { STREAM_PATTERN } from "./apiEventMessage.js";
import { ingestKeys } from "./ingestTable.js";
import { queryPartition } from "./queryPartition.js";

/** What a key may do. The secret itself is never stored, only its SHA-256. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly name: string;
  /** Streams the key may write and read; `["*"]` for all. */
  readonly streams: readonly string[];
  /** Token bucket: sustained requests per second… */
  readonly ratePerSecond: number;
  /** …and the burst it allows. */
  readonly burst: number;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface CreateKeyInput {
  readonly name: string;
  readonly streams: readonly string[];
  /** @default 50 */
  readonly ratePerSecond?: number;
  /** @default 100 */
  readonly burst?: number;
}

export interface ApiKeys {
  /** Returns the key's secret (`tmk_<keyId>_<secret>`) once: it cannot be read back. */
  createKey(input: CreateKeyInput): Promise<{ readonly apiKey: string; readonly record: ApiKeyRecord }>;
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Idempotent; NotFoundError for a key that never existed. */
  revokeKey(keyId: string): Promise<ApiKeyRecord>;
  /** UnauthorizedError for a missing, malformed, unknown or revoked key. */
  authenticate(apiKey: string | undefined): Promise<ApiKeyRecord>;
}

export interface CreateApiKeysParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly now?: () => number;
}

const KEY_PATTERN = /^tmk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 is enough at rest: the secret is 256 random bits, so there is nothing to brute-force (no KDF needed). */
const hashKey = (apiKey: string) => createHash("sha256").update(apiKey).digest();

export function createApiKeys({ ddb, tableName, now = Date.now }: CreateApiKeysParameters): ApiKeys {
  const keys: ApiKeys = {
    async createKey({ name, streams, ratePerSecond = 50, burst = 100 }) {
      if (streams.length === 0)
        throw new InvalidRequestError("a key needs at least one stream", { field: "streams" });
      for (const s of streams) {
        if (s !== "*" && !STREAM_PATTERN.test(s)) {
          throw new InvalidRequestError(`stream ${s} does not match ${STREAM_PATTERN}`, { field: "streams" });
        }
      }
      if (!(ratePerSecond > 0 && burst >= 1)) {
        throw new InvalidRequestError("ratePerSecond must be > 0 and burst ≥ 1", { field: "ratePerSecond" });
      }
      const keyId = randomBytes(8).toString("hex");
      const apiKey = `tmk_${keyId}_${randomBytes(32).toString("base64url")}`;
      const record: ApiKeyRecord = {
        keyId,
        name,
        streams: [...streams],
        ratePerSecond,
        burst,
        createdAt: new Date(now()).toISOString(),
      };
      await ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...keyOf(keyId), ...toItem(record), secretSha256: { B: hashKey(apiKey) } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return { apiKey, record };
    },

    async listKeys() {
      return queryPartition({ ddb, tableName, pk: ingestKeys.apiKey("").pk }, fromItem);
    },

    async revokeKey(keyId) {
      try {
        const { Attributes } = await ddb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(keyId),
            // if_not_exists: revoking twice keeps the first revocation time.
            UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :at)",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":at": { S: new Date(now()).toISOString() } },
            ReturnValues: "ALL_NEW",
          }),
        );
        return fromItem(Attributes ?? {});
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new NotFoundError(`no API key ${keyId}`, { field: "keyId", cause: error });
        }
        throw error;
      }
    },

    async authenticate(apiKey) {
      if (apiKey === undefined || apiKey === "") {
        throw new UnauthorizedError(
          "missing API key: send it as `Authorization: Bearer <key>` or `x-api-key`",
          { field: "authorization" },
        );
      }
      const match = KEY_PATTERN.exec(apiKey);
      if (!match) throw new UnauthorizedError("malformed API key", { field: "authorization" });
      const { Item } = await ddb.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(match[1] as string), ConsistentRead: true }),
      );
      const stored = Item?.secretSha256?.B;
      // Constant-time compare: the response time says nothing about how much of the secret matched.
      if (!Item || !stored || !timingSafeEqual(Buffer.from(stored), hashKey(apiKey))) {
        throw new UnauthorizedError("unknown API key", { field: "authorization" });
      }
      const record = fromItem(Item);
      if (record.revokedAt)
        throw new UnauthorizedError(`API key ${record.keyId} was revoked at ${record.revokedAt}`, {
          field: "authorization",
        });
      return record;
    },
  };
  return keys;
}

/** ForbiddenError unless the key may use `stream`. */
export function authorizeStream(key: ApiKeyRecord, stream: string): void {
  if (key.streams.includes("*") || key.streams.includes(stream)) return;
  throw new ForbiddenError(`API key ${key.keyId} is not allowed on stream ${stream}`, {
    field: "stream",
    context: { keyId: key.keyId, stream },
  });
}

const keyOf = (keyId: string) => {
  const k = ingestKeys.apiKey(keyId);
  return { pk: { S: k.pk }, sk: { S: k.sk } };
};

function toItem(r: ApiKeyRecord): Record<string, AttributeValue> {
  return {
    name: { S: r.name },
    streams: { S: JSON.stringify(r.streams) },
    ratePerSecond: { N: String(r.ratePerSecond) },
    burst: { N: String(r.burst) },
    createdAt: { S: r.createdAt },
  };
}

function fromItem(item: Record<string, AttributeValue>): ApiKeyRecord {
  return {
    keyId: item.sk?.S ?? "",
    name: item.name?.S ?? "",
    streams: JSON.parse(item.streams?.S ?? "[]") as string[],
    ratePerSecond: Number(item.ratePerSecond?.N ?? "0"),
    burst: Number(item.burst?.N ?? "0"),
    createdAt: item.createdAt?.S ?? "",
    ...(item.revokedAt?.S ? { revokedAt: item.revokedAt.S } : {}),
  };
}
