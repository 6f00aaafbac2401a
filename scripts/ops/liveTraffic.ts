import {
  type CodeDeployClient,
  type DeploymentInfo,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, type LambdaClient, UpdateAliasCommand } from "@aws-sdk/client-lambda";

export interface TrafficTarget {
  readonly lambda: LambdaClient;
  readonly codedeploy: CodeDeployClient;
  readonly functionName: string;
  /** @default "live" */
  readonly aliasName?: string;
  readonly application: string;
  readonly deploymentGroup: string;
}

export interface AliasTraffic {
  readonly function: string;
  readonly alias: string;
  /** The version that takes the rest of the traffic. */
  readonly primaryVersion: string;
  /** version → weight (0..1) of each extra version; empty when one version takes everything. */
  readonly additional: Readonly<Record<string, number>>;
  readonly deployment:
    | {
        readonly id: string;
        readonly status: string;
        readonly createTime: string | undefined;
        readonly description: string;
      }
    | undefined;
}

const ACTIVE = ["Created", "Queued", "InProgress", "Baking", "Ready"] as const;

/** The `live` alias's versions and weights, and the CodeDeploy deployment shifting it, if any. */
export async function getTraffic(t: TrafficTarget): Promise<AliasTraffic> {
  const alias = t.aliasName ?? "live";
  const [out, deployment] = await Promise.all([
    t.lambda.send(new GetAliasCommand({ FunctionName: t.functionName, Name: alias })),
    activeDeployment(t),
  ]);
  return {
    function: t.functionName,
    alias,
    primaryVersion: out.FunctionVersion ?? "?",
    additional: { ...(out.RoutingConfig?.AdditionalVersionWeights ?? {}) },
    deployment: deployment && {
      id: deployment.deploymentId ?? "?",
      status: deployment.status ?? "?",
      createTime: deployment.createTime?.toISOString(),
      description: describeDeployment(deployment),
    },
  };
}

async function activeDeployment(t: TrafficTarget): Promise<DeploymentInfo | undefined> {
  const list = await t.codedeploy.send(
    new ListDeploymentsCommand({
      applicationName: t.application,
      deploymentGroupName: t.deploymentGroup,
      includeOnlyStatuses: [...ACTIVE],
    }),
  );
  const id = list.deployments?.[0];
  if (!id) return undefined;
  const got = await t.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }));
  return got.deploymentInfo;
}

function describeDeployment(d: DeploymentInfo): string {
  const o = d.deploymentOverview;
  const counts = o
    ? `, ${o.Succeeded ?? 0} succeeded / ${o.InProgress ?? 0} in progress / ${o.Failed ?? 0} failed`
    : "";
  return `${d.deploymentConfigName ?? "deployment"} started ${d.createTime?.toISOString() ?? "?"}${counts}`;
}

export class TrafficError extends Error {
  override readonly name = "TrafficError";
}

/**
 * Move the alias by hand: `weight` (0..1) of traffic to `version`, the rest to the current primary;
 * weight 1 makes `version` the primary. Refused while CodeDeploy is shifting the alias: two hands on
 * one alias would fight, and CodeDeploy's rollback would undo this.
 */
export async function shiftTraffic(t: TrafficTarget, version: string, weight: number): Promise<AliasTraffic> {
  if (!(weight >= 0 && weight <= 1)) throw new TrafficError(`weight ${weight} is not between 0 and 1`);
  const now = await getTraffic(t);
  if (now.deployment) {
    throw new TrafficError(
      `deployment ${now.deployment.id} is ${now.deployment.status}: let it finish, or stop it with \`tidemark traffic rollback\``,
    );
  }
  const whole = weight >= 1 || version === now.primaryVersion;
  await t.lambda.send(
    new UpdateAliasCommand({
      FunctionName: t.functionName,
      Name: now.alias,
      FunctionVersion: whole ? version : now.primaryVersion,
      RoutingConfig: { AdditionalVersionWeights: whole || weight === 0 ? {} : { [version]: weight } },
    }),
  );
  return getTraffic(t);
}

export interface RollbackOutcome {
  readonly how: "stopped-deployment" | "alias-reset";
  readonly detail: string;
  readonly traffic: AliasTraffic;
}

/**
 * Roll back: a deployment in progress is stopped with autoRollbackEnabled (CodeDeploy moves the alias
 * back and runs no new version); otherwise the alias is pointed at `toVersion` (the version to return
 * to: the previous primary) with no extra weights.
 */
export async function rollbackTraffic(t: TrafficTarget, toVersion?: string): Promise<RollbackOutcome> {
  const now = await getTraffic(t);
  if (now.deployment) {
    const out = await t.codedeploy.send(
      new StopDeploymentCommand({ deploymentId: now.deployment.id, autoRollbackEnabled: true }),
    );
    return {
      how: "stopped-deployment",
      detail: `deployment ${now.deployment.id}: ${out.status ?? "?"} ${out.statusMessage ?? ""}`.trim(),
      traffic: await getTraffic(t),
    };
  }
  if (toVersion === undefined) {
    const extra = Object.keys(now.additional);
    if (extra.length === 0) {
      throw new TrafficError(
        `no deployment in progress and ${now.alias} sends everything to version ${now.primaryVersion}: pass --to-version <n> to point it elsewhere`,
      );
    }
    // A manual canary: rolling back means dropping the extra versions.
    toVersion = now.primaryVersion;
  }
  await t.lambda.send(
    new UpdateAliasCommand({
      FunctionName: t.functionName,
      Name: now.alias,
      FunctionVersion: toVersion,
      RoutingConfig: { AdditionalVersionWeights: {} },
    }),
  );
  return { how: "alias-reset", detail: `${now.alias} → version ${toVersion}`, traffic: await getTraffic(t) };
}
