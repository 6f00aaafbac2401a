import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as logs from "aws-cdk-lib/aws-logs";
import type { AlarmThresholds } from "../monitoring/PipelineAlarms.js";

export const STAGE_NAMES = ["dev", "staging", "prod"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const isStageName = (value: unknown): value is StageName =>
  typeof value === "string" && (STAGE_NAMES as readonly string[]).includes(value);

/** Everything that differs between dev, staging and prod. The rest is a Tidemark default. */
export interface StageConfig {
  readonly stage: StageName;
  /** Stateful resources, log groups and keys when removed from the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
  /** How CodeDeploy shifts traffic to a new version. */
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** Overrides of the default alarm thresholds. */
  readonly alarmThresholds: Partial<AlarmThresholds>;
  /** Name of the Secrets Manager secret holding the RPC URLs (created outside CDK). */
  readonly rpcUrlsSecretName: string;
  readonly logRetention: logs.RetentionDays;
  /** Maximum concurrent processor invocations on the SQS event source. */
  readonly processorMaxConcurrency: number;
  /** Alarm e-mail subscription, from context `alarmEmail`. */
  readonly alarmEmail?: string;
  /** First blocks of a fresh deployment, from context `l1StartBlock` / `l2StartBlock`. */
  readonly startBlocks?: { readonly l1?: number; readonly l2?: number };
  /**
   * Where the ingest API anchors its commitments, from context `anchorSecretName` (a secret
   * `{"rpcUrl", "privateKey"}` created outside CDK) and `anchorRegistry` (the AnchorRegistry address).
   */
  readonly ingestAnchor?: { readonly secretName: string; readonly registryAddress: string };
}

/** The three stages. Production retains and protects data; development is cheap to throw away. */
export const STAGE_CONFIGS: Readonly<
  Record<StageName, Omit<StageConfig, "alarmEmail" | "startBlocks" | "ingestAnchor">>
> = {
  dev: {
    stage: "dev",
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    deploymentConfig: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
    alarmThresholds: { oldestMessageAge: Duration.minutes(15), processorErrorRateCriticalPercent: 10 },
    rpcUrlsSecretName: "tidemark/dev/rpc-urls",
    logRetention: logs.RetentionDays.ONE_WEEK,
    processorMaxConcurrency: 2,
  },
  staging: {
    stage: "staging",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: false,
    deploymentConfig: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
    alarmThresholds: { oldestMessageAge: Duration.minutes(10) },
    rpcUrlsSecretName: "tidemark/staging/rpc-urls",
    logRetention: logs.RetentionDays.TWO_WEEKS,
    processorMaxConcurrency: 4,
  },
  prod: {
    stage: "prod",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
    alarmThresholds: {},
    rpcUrlsSecretName: "tidemark/prod/rpc-urls",
    // Control Tower's proactive controls ask a year of log retention in production.
    logRetention: logs.RetentionDays.ONE_YEAR,
    processorMaxConcurrency: 16,
  },
};

/** CDK context keys the app reads (`-c key=value` or cdk.json). */
export interface StageContext {
  readonly stage?: unknown;
  readonly alarmEmail?: unknown;
  readonly rpcUrlsSecretName?: unknown;
  readonly l1StartBlock?: unknown;
  readonly l2StartBlock?: unknown;
  readonly anchorSecretName?: unknown;
  readonly anchorRegistry?: unknown;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * The stage configuration selected by context, with `alarmEmail` and `rpcUrlsSecretName`
 * taken from context when given. Throws naming every bad key at once.
 */
export const stageConfigFromContext = (context: StageContext): StageConfig => {
  const problems: string[] = [];
  const stage = context.stage ?? "dev";
  if (!isStageName(stage)) problems.push(`stage "${String(stage)}" is not one of ${STAGE_NAMES.join(", ")}`);
  const email = context.alarmEmail;
  if (email !== undefined && (typeof email !== "string" || !EMAIL.test(email))) {
    problems.push(`alarmEmail "${String(email)}" is not an e-mail address`);
  }
  const secret = context.rpcUrlsSecretName;
  if (secret !== undefined && (typeof secret !== "string" || secret.length === 0)) {
    problems.push("rpcUrlsSecretName must be a non-empty string");
  }
  const startBlocks: { l1?: number; l2?: number } = {};
  for (const [chain, value] of [
    ["l1", context.l1StartBlock],
    ["l2", context.l2StartBlock],
  ] as const) {
    if (value === undefined) continue;
    // -c values arrive as strings; cdk.json values as numbers.
    const block =
      typeof value === "number"
        ? value
        : typeof value === "string" && /^[0-9]+$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(block))
      problems.push(`${chain}StartBlock "${String(value)}" is not a block number`);
    else startBlocks[chain] = block;
  }
  const ingestAnchor = anchorFromContext(context, problems);
  if (problems.length > 0 || !isStageName(stage)) {
    throw new Error(`Invalid CDK context:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  const base = STAGE_CONFIGS[stage];
  return {
    ...base,
    ...(typeof secret === "string" ? { rpcUrlsSecretName: secret } : {}),
    ...(typeof email === "string" ? { alarmEmail: email } : {}),
    ...(Object.keys(startBlocks).length > 0 ? { startBlocks } : {}),
    ...(ingestAnchor ? { ingestAnchor } : {}),
  };
};

/** `anchorSecretName` and `anchorRegistry` come together or not at all. */
function anchorFromContext(context: StageContext, problems: string[]): StageConfig["ingestAnchor"] {
  const { anchorSecretName: secretName, anchorRegistry: registryAddress } = context;
  if (secretName === undefined && registryAddress === undefined) return undefined;
  if (typeof secretName !== "string" || secretName.length === 0) {
    problems.push("anchorSecretName must be a non-empty string when anchorRegistry is given");
  }
  if (typeof registryAddress !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(registryAddress)) {
    problems.push(`anchorRegistry "${String(registryAddress)}" is not a 0x address`);
  }
  return typeof secretName === "string" && typeof registryAddress === "string"
    ? { secretName, registryAddress }
    : undefined;
}
