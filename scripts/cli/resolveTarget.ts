import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Hex } from "viem";
import { IngestorEnv, ProcessorEnv, STATE_TABLE } from "../../lambdas/shared/environment.js";
import type { Chain } from "../../lambdas/shared/events.js";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { ingestorNetworkOf } from "../pipeline/networkEnv.js";
import { httpSinkQuery } from "../pipeline/sinkQueryServer.js";
import { type CliIo, type ParsedCommand, stringOption, TargetError } from "./cliSupport.js";

/** The env file `tidemark local` writes and every `--local` command reads, unless told otherwise. */
export function defaultEnvFile(env: CliIo["env"]): string {
  return env.TIDEMARK_ENV_FILE ?? join(tmpdir(), "tidemark-local", "local.env");
}

/** Everything a subcommand needs to know about where it works. Clients are built on first use. */
export interface Target {
  readonly kind: "local" | "stage";
  /** "local (<env file>)" or "stage prod (eu-west-1)". */
  readonly label: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly queueArn: string | undefined;
  readonly dlqArn: string | undefined;
  readonly stateTable: string;
  readonly idempotencyTable: string;
  /** Stack outputs (stage) or the environment (local), for names the subcommands look up. */
  readonly names: Readonly<Record<string, string | undefined>>;
  readonly consumerSwitchFile: string | undefined;
  /** The local stack's ingestor schedule switch (`tidemark ingestor`); undefined for a stage. */
  readonly ingestorSwitchFile: string | undefined;
  sqs(): SQSClient;
  ddb(): DynamoDBClient;
  lambda(): LambdaClient;
  codedeploy(): CodeDeployClient;
  cloudwatch(): CloudWatchClient;
  /** RPC URLs per chain (flags, env, or the deployed secret). */
  rpcUrls(): Promise<Record<Chain, string[]>>;
  /** What the deployed (or local) ingestor is configured with. */
  ingestorSettings(): Promise<{
    inboxAddresses: Hex[];
    network?: TaikoNetwork;
    partitions: number;
    /** READ_FEES: whether it publishes fee events (default true). */
    readFees: boolean;
    /** READ_PRECONF: whether it publishes preconf operator events (default true). */
    readPreconf: boolean;
  }>;
  /** The sink to read: a DuckDB file, a sink query server, or (a stage with a Firehose sink) Athena; undefined when none. */
  sink(options?: {
    duckdb?: string;
    sinkUrl?: string;
  }): Promise<(SqlQueryable & { close?(): Promise<void> }) | undefined>;
  /** Name of a stack output / env var that must be present. */
  require(name: string, what: string): string;
}

/** Stack outputs keys (lib/stacks) and the local environment's names for the same things. */
const OUTPUT = {
  queueUrl: ["QueueUrl", IngestorEnv.QueueUrl],
  dlqUrl: ["DeadLetterQueueUrl", ProcessorEnv.DlqUrl],
  queueArn: ["QueueArn", "QUEUE_ARN"],
  dlqArn: ["DeadLetterQueueArn", "DLQ_ARN"],
  stateTable: ["StateTableName", STATE_TABLE],
  idempotencyTable: ["IdempotencyTableName", ProcessorEnv.IdempotencyTable],
} as const;

export function resolveTarget(parsed: ParsedCommand, io: CliIo): Target {
  const stage = stringOption(parsed.values, "stage");
  return stage === undefined ? localTarget(parsed, io) : stageTarget(stage, parsed, io);
}

function localTarget(parsed: ParsedCommand, io: CliIo): Target {
  const given = stringOption(parsed.values, "env-file");
  const file = resolve(io.cwd, given ?? defaultEnvFile(io.env));
  let fromFile: Record<string, string> = {};
  if (existsSync(file)) fromFile = parseEnvFile(readFileSync(file, "utf8"));
  else if (given !== undefined) throw new TargetError(`--env-file ${given}: no such file`);
  // The file describes one running stack; variables set in the shell fill what it leaves out.
  const env: Record<string, string | undefined> = { ...io.env, ...fromFile };
  const need = (name: string) => {
    const value = env[name];
    if (!value) {
      throw new TargetError(
        `no local target: ${name} is not set. Start the local stack in another terminal with \`npx tidemark local\` (it writes ${file}), or export the variables it would write (QUEUE_URL, DLQ_URL, STATE_TABLE, IDEMPOTENCY_TABLE, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB, L1_RPC_URLS, L2_RPC_URLS, INBOX_ADDRESS).`,
      );
    }
    return value;
  };
  const endpoint = (name: string) => need(name);
  const once = lazy();
  return {
    kind: "local",
    label: `local (${existsSync(file) ? file : "environment"})`,
    queueUrl: need(OUTPUT.queueUrl[1]),
    dlqUrl: need(OUTPUT.dlqUrl[1]),
    queueArn: env.QUEUE_ARN,
    dlqArn: env.DLQ_ARN,
    stateTable: need(OUTPUT.stateTable[1]),
    idempotencyTable: env[ProcessorEnv.IdempotencyTable] ?? "tidemark-idempotency",
    names: env,
    consumerSwitchFile: env.TIDEMARK_CONSUMER_SWITCH ?? join(dirname(file), "consumers.json"),
    ingestorSwitchFile: env.TIDEMARK_INGESTOR_SWITCH ?? join(dirname(file), "ingestor.json"),
    sqs: once("sqs", () => new SQSClient(localAwsConfig(endpoint("AWS_ENDPOINT_URL_SQS")))),
    ddb: once("ddb", () => new DynamoDBClient(localAwsConfig(endpoint("AWS_ENDPOINT_URL_DYNAMODB")))),
    lambda: () => {
      throw new TargetError("Lambda exists only in a deployed stage: pass --stage <name>");
    },
    codedeploy: () => {
      throw new TargetError("CodeDeploy exists only in a deployed stage: pass --stage <name>");
    },
    cloudwatch: () => {
      throw new TargetError("CloudWatch exists only in a deployed stage: pass --stage <name>");
    },
    async rpcUrls() {
      return { l1: splitList(env.L1_RPC_URLS), l2: splitList(env.L2_RPC_URLS) };
    },
    async ingestorSettings() {
      return {
        ...ingestorNetworkOf(env),
        partitions: Number(env.PARTITIONS ?? 16),
        readFees: readsFlag(env, IngestorEnv.ReadFees),
        readPreconf: readsFlag(env, IngestorEnv.ReadPreconf),
      };
    },
    sink: (o = {}) => openSink({ ...o, sinkUrl: o.sinkUrl ?? env.SINK_QUERY_URL, duckdb: o.duckdb }),
    require: (name, what) => {
      const value = env[name];
      if (!value) throw new TargetError(`${what}: ${name} is not set in the local environment`);
      return value;
    },
  };
}

function stageTarget(stage: string, parsed: ParsedCommand, io: CliIo): Target {
  if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(stage)) throw new TargetError(`--stage "${stage}" is not a stage name`);
  const file = resolve(io.cwd, stringOption(parsed.values, "stack-outputs") ?? "cdk-outputs.json");
  if (!existsSync(file)) {
    throw new TargetError(
      `no stack outputs for stage ${stage}: ${file} does not exist. Write it with \`npx cdk deploy --all -c stage=${stage} --outputs-file cdk-outputs.json\` (or pass --stack-outputs <file>).`,
    );
  }
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(readFileSync(file, "utf8")) as typeof all;
  } catch (error) {
    throw new TargetError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const stacks = [`Tidemark-${stage}-Stateful`, `Tidemark-${stage}-Service`];
  const missing = stacks.filter((s) => all[s] === undefined);
  if (missing.length > 0) {
    throw new TargetError(
      `${file} has no outputs for ${missing.join(" and ")} (it lists: ${Object.keys(all).join(", ") || "nothing"})`,
    );
  }
  const names: Record<string, string> = { ...all[stacks[0] as string], ...all[stacks[1] as string] };
  const need = (key: string) => {
    const v = names[key];
    if (!v)
      throw new TargetError(
        `the stack outputs in ${file} have no ${key}: redeploy with this version of lib/`,
      );
    return v;
  };
  const region =
    stringOption(parsed.values, "region") ??
    names.QueueArn?.split(":")[3] ??
    io.env.AWS_REGION ??
    io.env.AWS_DEFAULT_REGION;
  if (!region) throw new TargetError("no AWS region: pass --region or set AWS_REGION");
  const once = lazy();
  const config = { region };
  const lambda = once("lambda", () => new LambdaClient(config));
  let ingestorEnv: Promise<Record<string, string>> | undefined;
  const readIngestorEnv = () => {
    ingestorEnv ??= lambda()
      .send(new GetFunctionConfigurationCommand({ FunctionName: need("IngestorFunctionName") }))
      .then((out) => out.Environment?.Variables ?? {});
    return ingestorEnv;
  };
  return {
    kind: "stage",
    label: `stage ${stage} (${region})`,
    queueUrl: need(OUTPUT.queueUrl[0]),
    dlqUrl: need(OUTPUT.dlqUrl[0]),
    queueArn: names.QueueArn,
    dlqArn: names.DeadLetterQueueArn,
    stateTable: need(OUTPUT.stateTable[0]),
    idempotencyTable: need(OUTPUT.idempotencyTable[0]),
    names,
    consumerSwitchFile: undefined,
    ingestorSwitchFile: undefined,
    sqs: once("sqs", () => new SQSClient(config)),
    ddb: once("ddb", () => new DynamoDBClient(config)),
    lambda,
    codedeploy: once("codedeploy", () => new CodeDeployClient(config)),
    cloudwatch: once("cloudwatch", () => new CloudWatchClient(config)),
    async rpcUrls() {
      const l1 = splitList(io.env.L1_RPC_URLS);
      const l2 = splitList(io.env.L2_RPC_URLS);
      if (l1.length > 0 || l2.length > 0) return { l1, l2 };
      const secretId = (await readIngestorEnv()).RPC_URLS_SECRET_ID ?? need("RpcUrlsSecretName");
      const out = await new SecretsManagerClient(config).send(
        new GetSecretValueCommand({ SecretId: secretId }),
      );
      try {
        const parsedSecret = JSON.parse(out.SecretString ?? "") as { l1?: string[]; l2?: string[] };
        return { l1: parsedSecret.l1 ?? [], l2: parsedSecret.l2 ?? [] };
      } catch {
        // Never print the secret: it holds provider URLs with API keys.
        throw new TargetError(`the secret ${secretId} is not JSON of the form {"l1":[urls],"l2":[urls]}`);
      }
    },
    async ingestorSettings() {
      const env = await readIngestorEnv();
      return {
        ...ingestorNetworkOf(env),
        partitions: Number(env.PARTITIONS ?? 16),
        readFees: readsFlag(env, IngestorEnv.ReadFees),
        readPreconf: readsFlag(env, IngestorEnv.ReadPreconf),
      };
    },
    sink: (o = {}) => (o.duckdb || o.sinkUrl ? openSink(o) : openAthenaSink(names, config)),
    require: (key) => need(key),
  };
}

async function openSink(o: {
  duckdb?: string;
  sinkUrl?: string;
}): Promise<(SqlQueryable & { close?(): Promise<void> }) | undefined> {
  if (o.sinkUrl) return httpSinkQuery(o.sinkUrl);
  if (o.duckdb) {
    if (!existsSync(o.duckdb)) throw new TargetError(`--duckdb ${o.duckdb}: no such file`);
    const { createDuckDbSink } = await import("../../lambdas/sink/duckdbSink.js");
    try {
      return await createDuckDbSink({ path: o.duckdb });
    } catch (error) {
      throw new TargetError(
        `cannot open ${o.duckdb} (${(error as Error).message.split("\n")[0]}): while another process writes it, read it through that process's SINK_QUERY_URL`,
      );
    }
  }
  return undefined;
}

/** How long one verify statement may run in Athena: a window's reads scan whole Iceberg partitions. */
export const STAGE_ATHENA_TIMEOUT_MS = 300_000;

/**
 * The deployed sink read where it lives: Athena over the Iceberg tables, in the stage's workgroup and
 * Glue database (stack outputs). Undefined when the stage has no Firehose sink (ClickHouse: --sink-url).
 */
async function openAthenaSink(
  names: Readonly<Record<string, string | undefined>>,
  config: { region: string },
): Promise<SqlQueryable | undefined> {
  const workGroup = names.AthenaWorkGroupName;
  const database = names.GlueDatabaseName;
  if (!workGroup || !database) return undefined;
  const [{ AthenaClient }, { createAthenaQueryable }] = await Promise.all([
    import("@aws-sdk/client-athena"),
    import("../../lambdas/api/athenaQueryable.js"),
  ]);
  return createAthenaQueryable({
    client: new AthenaClient(config),
    workGroup,
    database,
    timeoutMs: STAGE_ATHENA_TIMEOUT_MS,
  });
}

/** The ingestor's READ_FEES as it reads it (lambdas/ingestor/config.ts): on unless "false". */
/** An ingestor read switch as the ingestor takes it (config.ts): on unless set to false. */
const readsFlag = (env: Readonly<Record<string, string | undefined>>, name: string): boolean =>
  env[name]?.trim().toLowerCase() !== "false";

/** KEY=value lines; blank lines and # comments ignored; no shell expansion. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith("#"))
      out[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, "$1");
  }
  return out;
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function lazy() {
  const made = new Map<string, unknown>();
  return <T>(key: string, make: () => T) =>
    (): T => {
      if (!made.has(key)) made.set(key, make());
      return made.get(key) as T;
    };
}
