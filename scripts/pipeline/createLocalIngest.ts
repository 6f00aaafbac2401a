import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { anchorCommitment } from "../../lambdas/ingestApi/anchorCommitment.js";
import { anchorRegistryAbi } from "../../lambdas/ingestApi/anchorRegistryAbi.js";
import { createApiKeys } from "../../lambdas/ingestApi/apiKeys.js";
import { createCommitmentStore } from "../../lambdas/ingestApi/commitmentStore.js";
import type { IngestRoutesDependencies } from "../../lambdas/ingestApi/createIngestRoutes.js";
import { createTokenBucketLimiter } from "../../lambdas/ingestApi/createTokenBucketLimiter.js";
import { createEventStore } from "../../lambdas/ingestApi/eventStore.js";
import { type IngestSettings, resolveIngestSettings } from "../../lambdas/ingestApi/ingestSettings.js";
import { createFileObjectStore, type ObjectStore } from "../../lambdas/ingestApi/objectStore.js";
import { drainOutbox } from "../../lambdas/ingestApi/outbox.js";
import { createReceiptSigner } from "../../lambdas/ingestApi/receipts.js";
import { createSchemaRegistry } from "../../lambdas/ingestApi/schemaRegistry.js";
import { loadSigningKey } from "../../lambdas/ingestApi/signingKey.js";
import { compileAnchorRegistry } from "../ingestApi/compileAnchorRegistry.js";
import { LOCAL_INGEST_TABLE, provisionIngestTable } from "../local/provision.js";

/** The stream the key `npm start -- --serve` prints may write. */
export const DEFAULT_LOCAL_STREAM = "default";

/** The local state directory (signing key, claim-checked payloads): `.tidemark/` under the cwd, gitignored. */
export const defaultLocalStateDir = (cwd: string = process.cwd()): string => join(cwd, ".tidemark");

/** The claim-check store both the ingest routes and the processor use locally. */
export const localObjectStore = (stateDir: string): ObjectStore =>
  createFileObjectStore(join(stateDir, "objects"));

export interface CreateLocalIngestParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly stateDir: string;
  readonly objectStore: ObjectStore;
  /** Overrides of the defaults (and of INGEST_* in the environment). */
  readonly settings?: Partial<IngestSettings>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LocalIngest {
  readonly deps: IngestRoutesDependencies;
  readonly tableName: string;
  readonly stateDir: string;
  /** A key for DEFAULT_LOCAL_STREAM, shown once. */
  readonly apiKey: string;
  readonly stream: string;
  readonly publicKey: string;
  /** Deploy the AnchorRegistry on this L2 (a local anvil) and anchor every commitment made from now on. */
  startAnchoring(l2Url: string): Promise<Address>;
  readonly registry: Address | undefined;
  /** The last error of the background loops (they keep going), for reports. */
  readonly lastError: unknown;
  stop(): Promise<void>;
}

/**
 * The ingest API's dependencies on the local parts, as the ingest function builds them in Lambda: the
 * ingest table on DynamoDB Local, the signing key in the state directory, the queue the processor reads,
 * one API key; and the two schedules AWS runs beside it — the outbox sweeper and the commit-and-anchor loop.
 */
export async function createLocalIngest(p: CreateLocalIngestParameters): Promise<LocalIngest> {
  const { ddb, sqs, queueUrl } = p;
  const tableName = await provisionIngestTable(ddb, LOCAL_INGEST_TABLE);
  const settings = resolveIngestSettings(p.settings, p.env ?? process.env);
  const signer = createReceiptSigner(await loadSigningKey({ stateDir: p.stateDir }));
  const events = createEventStore({ ddb, tableName });
  const keys = createApiKeys({ ddb, tableName });
  const commitments = createCommitmentStore({
    ddb,
    tableName,
    events,
    signer,
    commitEveryEvents: settings.commitEveryEvents,
    commitEverySeconds: settings.commitEverySeconds,
  });
  const deps: IngestRoutesDependencies = {
    ddb,
    sqs,
    tableName,
    queueUrl,
    settings,
    signer,
    schemas: createSchemaRegistry({
      ddb,
      tableName,
      defaultMode: settings.defaultSchemaMode,
      cacheSeconds: settings.schemaCacheSeconds,
    }),
    objectStore: p.objectStore,
    keys,
    limiter: createTokenBucketLimiter(),
    events,
    commitments,
  };
  const { apiKey } = await keys.createKey({ name: "local", streams: [DEFAULT_LOCAL_STREAM] });
  const state: { registry: Address | undefined; lastError: unknown } = {
    registry: undefined,
    lastError: undefined,
  };
  const loops = startLoops(deps, state, settings);
  return {
    deps,
    tableName,
    stateDir: p.stateDir,
    apiKey,
    stream: DEFAULT_LOCAL_STREAM,
    publicKey: signer.publicKeyHex,
    get registry() {
      return state.registry;
    },
    get lastError() {
      return state.lastError;
    },
    startAnchoring: async (l2Url) => {
      const chain = await deployRegistry(l2Url);
      state.registry = chain.registry;
      loops.anchorWith(chain);
      return chain.registry;
    },
    stop: loops.stop,
  };
}

interface AnchorChain {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly registry: Address;
}

/**
 * The outbox sweeper every few seconds, and per stream every second: commit what is due (N events or T
 * seconds, the settings), then anchor each commitment not yet anchored (or whose tx a reorg dropped).
 * One tick at a time: a slow anchor never overlaps the next.
 */
function startLoops(
  deps: IngestRoutesDependencies,
  state: { lastError: unknown },
  settings: IngestSettings,
): { anchorWith(chain: AnchorChain): void; stop(): Promise<void> } {
  let chain: AnchorChain | undefined;
  let running: Promise<void> = Promise.resolve();
  const guard = (step: () => Promise<unknown>) => () => {
    running = running
      .then(step)
      .then(() => undefined)
      .catch((error) => {
        state.lastError = error;
      });
  };
  const drain = guard(() =>
    drainOutbox({ ...deps, partitions: settings.partitions, graceSeconds: settings.outboxGraceSeconds }),
  );
  const commit = guard(async () => {
    for (const stream of await streamsWithEvents(deps)) {
      await deps.commitments.commitDue(stream);
      if (!chain) continue;
      for (const commitment of await deps.commitments.listCommitments(stream)) {
        await anchorCommitment({ ...chain, commitments: deps.commitments }, commitment);
      }
    }
  });
  const timers = [setInterval(drain, 5_000), setInterval(commit, 1_000)];
  for (const t of timers) t.unref();
  return {
    anchorWith: (c) => {
      chain = c;
    },
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}

/** Streams the local keys may write (a `*` key's streams are those already holding events). */
async function streamsWithEvents(deps: IngestRoutesDependencies): Promise<string[]> {
  const named = new Set<string>();
  for (const key of await deps.keys.listKeys()) for (const s of key.streams) if (s !== "*") named.add(s);
  const streams: string[] = [];
  for (const s of named) if ((await deps.events.head(s)) > 0) streams.push(s);
  return streams;
}

/**
 * The registry on the local L2, deployed by a fresh account funded with anvil_setBalance: the devnet's
 * own accounts keep their nonces to themselves.
 */
async function deployRegistry(l2Url: string): Promise<AnchorChain> {
  const probe = createPublicClient({ transport: http(l2Url) });
  const chain = defineChain({
    id: await probe.getChainId(),
    name: "local-l2",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [l2Url] } },
  });
  const account = privateKeyToAccount(generatePrivateKey());
  await probe.request({
    method: "anvil_setBalance" as "eth_chainId",
    params: [account.address, "0x56bc75e2d63100000"] as unknown as undefined,
  });
  const publicClient = createPublicClient({ chain, transport: http(l2Url) }) as PublicClient;
  const walletClient = createWalletClient({ chain, account, transport: http(l2Url) });
  const { bytecode } = await compileAnchorRegistry();
  const hash = await walletClient.deployContract({ abi: anchorRegistryAbi, bytecode });
  const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash });
  if (!contractAddress) throw new Error(`AnchorRegistry deployment ${hash} made no contract`);
  return { publicClient, walletClient, registry: contractAddress };
}
