import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { IngestorEnv, ProcessorEnv, SinkEnv, STATE_TABLE } from "../../lambdas/shared/environment.js";
import { type AnvilNode, type AnvilOptions, startAnvil } from "./anvil.js";
import { startDynamoDbLocal } from "./dynamoDbLocal.js";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION, localAwsConfig } from "./localAwsConfig.js";
import {
  type LocalResourceNames,
  type ProvisionedQueues,
  type ProvisionedTables,
  provisionQueues,
  provisionTables,
} from "./provision.js";
import { startSqsServer } from "./sqsServer.js";

export interface LocalPartsOptions {
  /** L1 node; `false` to run without. @default { chainId: 31337 } */
  readonly l1?: AnvilOptions | false;
  /** L2 node (Taiko-like chain id); `false` to run without. @default { chainId: 167000 } */
  readonly l2?: AnvilOptions | false;
  /** DynamoDB Local with the state and idempotency tables. @default true */
  readonly dynamodb?: boolean;
  /** SQS server with the FIFO queue and DLQ. @default true */
  readonly sqs?: boolean;
  /**
   * DuckDB database file, passed through (the sink opens it); left in place on stop.
   * @default a file in a fresh temp dir that stop() removes — close the DuckDB instance before stop()
   */
  readonly duckdbPath?: string;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 3 */
  readonly maxReceiveCount?: number;
  readonly names?: Partial<LocalResourceNames>;
}

export interface LocalChain {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
}

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
}

export interface LocalSqs {
  readonly endpoint: string;
  readonly client: SQSClient;
}

/** A part is present unless its option is literally `false`; with a non-literal option it may be absent. */
type Part<O, K extends keyof LocalPartsOptions, T> = K extends keyof O
  ? [O[K]] extends [false]
    ? undefined
    : false extends O[K]
      ? T | undefined
      : T
  : T;

export interface LocalParts<O extends LocalPartsOptions = LocalPartsOptions> {
  readonly l1: Part<O, "l1", LocalChain>;
  readonly l2: Part<O, "l2", LocalChain>;
  readonly dynamodb: Part<O, "dynamodb", LocalDynamoDb>;
  readonly sqs: Part<O, "sqs", LocalSqs>;
  readonly resources: (Part<O, "dynamodb", ProvisionedTables> extends ProvisionedTables
    ? ProvisionedTables
    : Partial<ProvisionedTables>) &
    (Part<O, "sqs", ProvisionedQueues> extends ProvisionedQueues
      ? ProvisionedQueues
      : Partial<ProvisionedQueues>);
  readonly duckdbPath: string;
  /** Environment a handler would see in Lambda, pointed at these parts. */
  env(): Record<string, string>;
  /** Stop every part; idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_L1_CHAIN_ID = 31337;
export const DEFAULT_L2_CHAIN_ID = 167000;

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Start the local parts in parallel and provision the contract's resources on them. If any part
 * fails to start, the ones already running are stopped before the error is rethrown.
 */
export async function startLocalParts<const O extends LocalPartsOptions = Record<never, never>>(
  options: O = {} as O,
): Promise<LocalParts<O>> {
  const started: Stoppable[] = [];
  const track = <T extends Stoppable>(part: Promise<T>): Promise<T> =>
    part.then((p) => {
      started.push(p);
      return p;
    });
  const stopAll = async () => {
    // Stop in reverse start order; one part failing to stop must not keep the others running.
    const results = await Promise.allSettled(
      started
        .splice(0)
        .reverse()
        .map((p) => p.stop()),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
  };

  const l1Options =
    options.l1 === false ? undefined : { ...options.l1, chainId: options.l1?.chainId ?? DEFAULT_L1_CHAIN_ID };
  const l2Options =
    options.l2 === false ? undefined : { ...options.l2, chainId: options.l2?.chainId ?? DEFAULT_L2_CHAIN_ID };

  try {
    const duckdbPath: string =
      options.duckdbPath ??
      (await track(
        mkdtemp(join(tmpdir(), "tidemark-duckdb-")).then((dir) => ({
          dir,
          stop: () => rm(dir, { recursive: true, force: true }),
        })),
      ).then(({ dir }) => join(dir, "tidemark.duckdb")));

    // allSettled, not all: a part still starting when another fails must be tracked before cleanup runs.
    const [l1, l2, ddbServer, sqsServer] = await settledOrThrow([
      l1Options && track(startAnvil(l1Options)),
      l2Options && track(startAnvil(l2Options)),
      options.dynamodb === false ? undefined : track(startDynamoDbLocal()),
      options.sqs === false ? undefined : track(startSqsServer()),
    ] as const);

    const dynamodb = ddbServer && {
      endpoint: ddbServer.endpoint,
      client: new DynamoDBClient(localAwsConfig(ddbServer.endpoint)),
    };
    const sqs = sqsServer && {
      endpoint: sqsServer.endpoint,
      client: new SQSClient(localAwsConfig(sqsServer.endpoint)),
    };
    if (dynamodb) started.push({ stop: async () => dynamodb.client.destroy() });
    if (sqs) started.push({ stop: async () => sqs.client.destroy() });

    const [tables, queues] = await Promise.all([
      dynamodb && provisionTables({ ddb: dynamodb.client, names: options.names }),
      sqs &&
        provisionQueues({
          sqs: sqs.client,
          names: options.names,
          visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
          maxReceiveCount: options.maxReceiveCount,
        }),
    ]);
    const resources = { ...tables, ...queues };
    const chain = (node: AnvilNode | undefined, chainId: number) =>
      node && { url: node.url, port: node.port, chainId };

    let stopping: Promise<void> | undefined;
    const parts = {
      l1: chain(l1, l1Options?.chainId ?? DEFAULT_L1_CHAIN_ID),
      l2: chain(l2, l2Options?.chainId ?? DEFAULT_L2_CHAIN_ID),
      dynamodb,
      sqs,
      resources,
      duckdbPath,
      env: () => localEnv({ l1, l2, dynamodb, sqs, resources, duckdbPath }),
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
    return parts as unknown as LocalParts<O>;
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

async function settledOrThrow<const T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

function localEnv(parts: {
  l1: AnvilNode | undefined;
  l2: AnvilNode | undefined;
  dynamodb: LocalDynamoDb | undefined;
  sqs: LocalSqs | undefined;
  resources: Partial<ProvisionedTables & ProvisionedQueues>;
  duckdbPath: string;
}): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_AWS_REGION,
    AWS_DEFAULT_REGION: LOCAL_AWS_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    [SinkEnv.DuckDbPath]: parts.duckdbPath,
  };
  const optional: Record<string, string | undefined> = {
    [IngestorEnv.L1RpcUrls]: parts.l1?.url,
    [IngestorEnv.L2RpcUrls]: parts.l2?.url,
    // Service-specific endpoint variables are read by AWS SDK v3 clients built without an endpoint.
    AWS_ENDPOINT_URL_DYNAMODB: parts.dynamodb?.endpoint,
    AWS_ENDPOINT_URL_SQS: parts.sqs?.endpoint,
    [STATE_TABLE]: parts.resources.stateTable,
    [ProcessorEnv.IdempotencyTable]: parts.resources.idempotencyTable,
    [IngestorEnv.QueueUrl]: parts.resources.queueUrl,
    [ProcessorEnv.DlqUrl]: parts.resources.dlqUrl,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) env[name] = value;
  return env;
}
