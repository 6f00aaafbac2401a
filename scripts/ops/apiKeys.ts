import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type ApiKeyRecord, createApiKeys } from "../../lambdas/ingestApi/apiKeys.js";

/** Where the keys live: the ingest table (its name from cdk-outputs.json or the local state). */
export interface IngestTableClients {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
}

export interface CreateKeyOptions {
  readonly name: string;
  /** Streams the key may use; `*` for all. */
  readonly streams: readonly string[];
  readonly ratePerSecond?: number;
  readonly burst?: number;
}

export interface CreateKeyResult {
  /** Shown once: only its SHA-256 is stored. */
  readonly apiKey: string;
  readonly record: ApiKeyRecord;
}

/** `tidemark keys create --name N --stream S… [--rate R --burst B]`: a new key, its secret printed once. */
export async function createKeyCommand(
  options: CreateKeyOptions,
  clients: IngestTableClients,
): Promise<CreateKeyResult> {
  return createApiKeys(clients).createKey({
    name: options.name,
    streams: options.streams,
    ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
    ...(options.burst === undefined ? {} : { burst: options.burst }),
  });
}

export interface ListKeysOptions {
  /** Include revoked keys. @default false */
  readonly all?: boolean;
}

/** `tidemark keys list [--all]`: ids, names, streams, limits; never a secret (none is stored). */
export async function listKeysCommand(
  options: ListKeysOptions,
  clients: IngestTableClients,
): Promise<ApiKeyRecord[]> {
  const keys = await createApiKeys(clients).listKeys();
  return keys
    .filter((k) => options.all === true || k.revokedAt === undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** `tidemark keys revoke KEY_ID`: idempotent (the first revocation time stays); unknown ids fail with 404's error. */
export async function revokeKeyCommand(
  options: { readonly keyId: string },
  clients: IngestTableClients,
): Promise<ApiKeyRecord> {
  return createApiKeys(clients).revokeKey(options.keyId);
}

/** One line per key, for a terminal. */
export function formatKeys(keys: readonly ApiKeyRecord[]): string {
  return keys
    .map(
      (k) =>
        `${k.keyId}  ${k.name}  streams=${k.streams.join(",")}  ${k.ratePerSecond}/s burst ${k.burst}  ` +
        `created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ""}`,
    )
    .join("\n");
}
