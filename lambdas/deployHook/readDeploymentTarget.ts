import { type CodeDeployClient, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import { PermanentError } from "../shared/errors.js";

/** The function version a Lambda deployment shifts traffic to. */
export interface DeploymentTarget {
  readonly functionName: string;
  readonly alias: string;
  readonly currentVersion: string | undefined;
  readonly targetVersion: string;
}

interface AppSpecResource {
  readonly Type?: string;
  readonly Properties?: {
    readonly Name?: string;
    readonly Alias?: string;
    readonly CurrentVersion?: string | number;
    readonly TargetVersion?: string | number;
  };
}

/**
 * Reads the deployment's AppSpec (CloudFormation writes one per alias update) and returns the
 * function and version under test. A deployment without one cannot be smoke-tested: that is
 * permanent, and the hook reports it as a failure rather than waving the version through.
 */
export async function readDeploymentTarget(
  codeDeploy: CodeDeployClient,
  deploymentId: string,
): Promise<DeploymentTarget> {
  const { deploymentInfo } = await codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
  const revision = deploymentInfo?.revision;
  // CloudFormation writes AppSpecContent; the deprecated String type carries the same document.
  const content = revision?.appSpecContent?.content ?? revision?.string?.content;
  if (!content) {
    throw new PermanentError("the deployment has no AppSpec to read the target version from", {
      context: { deploymentId, revisionType: revision?.revisionType },
    });
  }
  let appSpec: { Resources?: Array<Record<string, AppSpecResource>> };
  try {
    appSpec = JSON.parse(content);
  } catch (cause) {
    throw new PermanentError("the deployment's AppSpec is not JSON", { cause, context: { deploymentId } });
  }
  const resource = (appSpec.Resources ?? [])
    .flatMap((entry) => Object.values(entry))
    .find((r) => r.Type === "AWS::Lambda::Function");
  const props = resource?.Properties;
  if (!props?.Name || !props.Alias || props.TargetVersion === undefined) {
    throw new PermanentError("the deployment's AppSpec names no Lambda function, alias and target version", {
      context: { deploymentId },
    });
  }
  return {
    functionName: props.Name,
    alias: props.Alias,
    currentVersion: props.CurrentVersion === undefined ? undefined : String(props.CurrentVersion),
    targetVersion: String(props.TargetVersion),
  };
}
