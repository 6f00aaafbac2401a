import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { anchorRegistryAbi } from "../../lambdas/ingestApi/anchorRegistryAbi.js";
import type { IngestRoutesDependencies } from "../../lambdas/ingestApi/createIngestRoutes.js";
import { buildIngestDependencies } from "../../lambdas/ingestApi/ingestDependencies.js";
import { type AnchorTarget, runIngestMaintenance } from "../../lambdas/ingestApi/ingestMaintenance.js";
import { type IngestSettings, resolveIngestSettings } from "../../lambdas/ingestApi/ingestSettings.js";
import { createFileObjectStore, type ObjectStore } from "../../lambdas/ingestApi/objectStore.js";
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
  const deps = buildIngestDependencies({
    ddb,
    sqs,
    tableName,
    queueUrl,
    settings,
    signingKey: await loadSigningKey({ stateDir: p.stateDir }),
    objectStore: p.objectStore,
  });
  const { apiKey } = await deps.keys.createKey({ name: "local", streams: [DEFAULT_LOCAL_STREAM] });
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
    publicKey: deps.signer.publicKeyHex,
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

type AnchorChain = AnchorTarget;

/**
 * The maintenance round AWS runs on a schedule (ingestMaintenance.ts: outbox sweep, commit what is due,
 * anchor), here every second. One round at a time: a slow anchor never overlaps the next.
 */
function startLoops(
  deps: IngestRoutesDependencies,
  state: { lastError: unknown },
  settings: IngestSettings,
): { anchorWith(chain: AnchorChain): void; stop(): Promise<void> } {
  let anchor: AnchorChain | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running
      .then(() => runIngestMaintenance({ deps, settings, anchor }))
      .then(() => undefined)
      .catch((error) => {
        state.lastError = error;
      });
  };
  const timer = setInterval(tick, 1_000);
  timer.unref();
  return {
    anchorWith: (c) => {
      anchor = c;
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
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
