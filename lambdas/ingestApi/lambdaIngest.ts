import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type Account,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  isAddress,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { IngestApiEnv } from "../shared/environment.js";
import { ConfigError } from "../shared/errors.js";
import type { IngestRoutesDependencies } from "./createIngestRoutes.js";
import { buildIngestDependencies } from "./ingestDependencies.js";
import type { AnchorTarget } from "./ingestMaintenance.js";
import { type IngestSettings, resolveIngestSettings } from "./ingestSettings.js";
import { createS3ObjectStore } from "./objectStore.js";
import { loadSigningKey } from "./signingKey.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface LambdaIngestClients {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Needed only when INGEST_PAYLOAD_BUCKET is set. */
  readonly s3?: S3Client;
  /** Reads a Secrets Manager secret's string (fetchSecretString in Lambda: the light path, cached). */
  readonly fetchSecret: (secretId: string) => Promise<string | undefined>;
  readonly metrics?: Pick<Metrics, "addMetric">;
}

export interface LambdaIngest {
  readonly deps: IngestRoutesDependencies;
  readonly settings: IngestSettings;
}

/** A required setting's trimmed value; missing or blank fails naming it. */
function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, "required by the ingest API's functions");
  return value;
}

async function secretString(
  clients: LambdaIngestClients,
  setting: string,
  secretId: string,
): Promise<string> {
  const value = await clients.fetchSecret(secretId);
  if (value === undefined || value.trim() === "") {
    throw new ConfigError(setting, `secret ${secretId} is empty or missing`);
  }
  return value.trim();
}

/**
 * The ingest API's dependencies as its Lambda functions build them, once per cold start: the table and
 * queue the construct names, the signing key from Secrets Manager, the payload bucket when configured,
 * the INGEST_* limits. A bad or missing setting fails the cold start naming it.
 */
export async function createLambdaIngest(env: Env, clients: LambdaIngestClients): Promise<LambdaIngest> {
  const e = IngestApiEnv;
  const settings = resolveIngestSettings({}, env);
  const tableName = required(env, e.IngestTable);
  const queueUrl = required(env, e.QueueUrl);
  const signingSecretId = required(env, e.SigningKeySecretId);
  const bucket = env[e.PayloadBucket]?.trim();
  if (bucket && !clients.s3) throw new ConfigError(e.PayloadBucket, "set, but no S3 client was given");
  const signingKey = await loadSigningKey({
    secretHex: await secretString(clients, e.SigningKeySecretId, signingSecretId),
  });
  const deps = buildIngestDependencies({
    ddb: clients.ddb,
    sqs: clients.sqs,
    tableName,
    queueUrl,
    settings,
    signingKey,
    objectStore: bucket && clients.s3 ? createS3ObjectStore({ s3: clients.s3, bucket }) : undefined,
    metrics: clients.metrics,
  });
  return { deps, settings };
}

/**
 * Where the scheduled maintenance anchors commitments: ANCHOR_SECRET_ID (`{"rpcUrl", "privateKey"}`, the
 * URL may carry a provider key, hence a secret) and ANCHOR_REGISTRY_ADDRESS. Both absent: undefined
 * (commitments are made and signed, not anchored). One without the other, or a malformed value, fails
 * naming the setting.
 */
export async function loadAnchorTarget(
  env: Env,
  clients: LambdaIngestClients,
): Promise<AnchorTarget | undefined> {
  const e = IngestApiEnv;
  const secretId = env[e.AnchorSecretId]?.trim();
  const registry = env[e.AnchorRegistry]?.trim();
  if (!secretId && !registry) return undefined;
  if (!secretId) throw new ConfigError(e.AnchorSecretId, `required with ${e.AnchorRegistry}`);
  if (!registry || !isAddress(registry)) {
    throw new ConfigError(
      e.AnchorRegistry,
      `expected the AnchorRegistry's 0x address, got "${registry ?? ""}"`,
    );
  }
  let parsed: { rpcUrl?: unknown; privateKey?: unknown };
  try {
    parsed = JSON.parse(await secretString(clients, e.AnchorSecretId, secretId));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(e.AnchorSecretId, `secret ${secretId} is not JSON {"rpcUrl", "privateKey"}`);
  }
  const { rpcUrl, privateKey } = parsed;
  if (typeof rpcUrl !== "string" || !/^https?:\/\//.test(rpcUrl)) {
    throw new ConfigError(e.AnchorSecretId, `secret ${secretId}: rpcUrl must be an http(s) URL`);
  }
  if (typeof privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new ConfigError(
      e.AnchorSecretId,
      `secret ${secretId}: privateKey must be 0x and 64 hex characters`,
    );
  }
  const wallet = await anchorClients(rpcUrl, privateKeyToAccount(privateKey as `0x${string}`));
  return { ...wallet, registry };
}

/**
 * The public and wallet clients of an anchor wallet on the L2 at `rpcUrl` (chain id read from the node):
 * the scheduled function's (loadAnchorTarget) and the local run's (deployRegistry) alike.
 */
export async function anchorClients(
  rpcUrl: string,
  account: Account,
): Promise<Pick<AnchorTarget, "publicClient" | "walletClient">> {
  const transport = http(rpcUrl, { retryCount: 2 });
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id: chainId,
    name: `anchor-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  return { publicClient, walletClient: createWalletClient({ chain, account, transport }) };
}
