import type { GetDeploymentCommandOutput } from "@aws-sdk/client-codedeploy";
import type { InvokeCommandOutput } from "@aws-sdk/client-lambda";
import type { HookLogger, LifecycleHookEvent } from "../../../lambdas/deployHook/runPreTrafficHook.js";

export const hookEvent = (): LifecycleHookEvent => ({
  DeploymentId: "d-ABC123",
  LifecycleEventHookExecutionId: "hook-exec-1",
});

/** A GetDeployment answer as CloudFormation's CodeDeployLambdaAliasUpdate leaves it. */
export const deploymentWithAppSpec = (
  properties: Record<string, unknown> = {
    Name: "tidemark-processor",
    Alias: "live",
    CurrentVersion: "4",
    TargetVersion: "5",
  },
): Partial<GetDeploymentCommandOutput> => ({
  deploymentInfo: {
    revision: {
      revisionType: "AppSpecContent",
      appSpecContent: {
        content: JSON.stringify({
          version: 0,
          Resources: [{ processorFunction: { Type: "AWS::Lambda::Function", Properties: properties } }],
        }),
      },
    },
  },
});

/** An Invoke response payload (the SDK's blob adapter is a Uint8Array with helpers the hook does not use). */
export const smokePayload = (body: unknown): InvokeCommandOutput["Payload"] =>
  new TextEncoder().encode(JSON.stringify(body)) as InvokeCommandOutput["Payload"];

/** Collects log lines so a test can assert what an operator would read. */
export const recordingLogger = (): HookLogger & {
  lines: { level: string; message: string; extra: unknown[] }[];
} => {
  const lines: { level: string; message: string; extra: unknown[] }[] = [];
  return {
    lines,
    info: (message, ...extra) => lines.push({ level: "info", message, extra }),
    error: (message, ...extra) => lines.push({ level: "error", message, extra }),
  };
};

/** A clock the sleeps advance, so deadlines are tested without waiting. */
export const fakeClock = (start = 1_000_000) => {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
};
