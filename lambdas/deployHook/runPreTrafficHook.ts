import {
  type CodeDeployClient,
  type LifecycleEventStatus,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { invokeSmokeTest, type SmokeTestResult } from "./invokeSmokeTest.js";
import { type DeploymentTarget, readDeploymentTarget } from "./readDeploymentTarget.js";

/** What CodeDeploy sends a lifecycle hook. */
export interface LifecycleHookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

export interface HookLogger {
  info(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export interface RunPreTrafficHookParameters {
  readonly event: LifecycleHookEvent;
  readonly codeDeploy: CodeDeployClient;
  readonly lambda: LambdaClient;
  readonly logger: HookLogger;
  /** Epoch ms by which the smoke test must have given its answer (the status is reported after it). */
  readonly deadline: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PreTrafficHookOutcome {
  readonly status: Extract<LifecycleEventStatus, "Succeeded" | "Failed">;
  readonly target?: DeploymentTarget;
  readonly smoke?: SmokeTestResult;
  readonly detail: string;
}

/**
 * The CodeDeploy pre-traffic hook: learns which version is being deployed, smoke-tests exactly
 * that version, and reports Succeeded or Failed. Every path reports — a hook that stays silent
 * leaves the deployment hanging for an hour — and only a reporting failure throws (so Lambda
 * retries the hook).
 */
export async function runPreTrafficHook(
  parameters: RunPreTrafficHookParameters,
): Promise<PreTrafficHookOutcome> {
  const { event, codeDeploy, logger } = parameters;
  let outcome: PreTrafficHookOutcome;
  try {
    const target = await readDeploymentTarget(codeDeploy, event.DeploymentId);
    const smoke = await invokeSmokeTest({
      lambda: parameters.lambda,
      target,
      deadline: parameters.deadline,
      now: parameters.now,
      sleep: parameters.sleep,
    });
    outcome = { status: smoke.ok ? "Succeeded" : "Failed", target, smoke, detail: smoke.detail };
  } catch (error) {
    outcome = {
      status: "Failed",
      detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }

  const log = outcome.status === "Succeeded" ? logger.info.bind(logger) : logger.error.bind(logger);
  log("pre-traffic smoke test", {
    deploymentId: event.DeploymentId,
    status: outcome.status,
    detail: outcome.detail,
    functionName: outcome.target?.functionName,
    targetVersion: outcome.target?.targetVersion,
    checks: outcome.smoke?.checks,
    attempts: outcome.smoke?.attempts,
  });
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: outcome.status,
    }),
  );
  return outcome;
}
