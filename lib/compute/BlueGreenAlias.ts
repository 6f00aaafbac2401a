import { CfnElement, Stack, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface BlueGreenAliasProps {
  readonly fn: lambda.Function;
  /** @default "live" */
  readonly aliasName?: string;
  /** How traffic shifts to a new version. @default LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  /** @default - a new CodeDeploy application for this group */
  readonly application?: codedeploy.ILambdaApplication;
  /**
   * Smoke-tests the new version before any traffic reaches it. It is allowed to invoke exactly
   * that version and to read this group's deployments.
   * @default - no pre-traffic hook
   */
  readonly preTrafficHook?: lambda.IFunction;
  /** Alarms that stop the shift and roll back. More can be added with `addAlarm`. @default - none */
  readonly alarms?: cloudwatch.IAlarm[];
}

export const BLUE_GREEN_DEFAULTS = {
  aliasName: "live",
  deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
} as const;

/**
 * Publishes the function as a version behind an alias and lets CodeDeploy move the alias:
 * the pre-traffic hook smoke-tests the new version, traffic shifts per the deployment config,
 * and any alarm going off (or a failed or stopped deployment) rolls the alias back.
 * Everything that invokes the function must invoke the alias.
 */
export class BlueGreenAlias extends Construct {
  readonly version: lambda.Version;
  readonly alias: lambda.Alias;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;

  constructor(scope: Construct, id: string, props: BlueGreenAliasProps) {
    super(scope, id);
    this.version = props.fn.currentVersion;
    this.alias = new lambda.Alias(this, "Alias", {
      aliasName: props.aliasName ?? BLUE_GREEN_DEFAULTS.aliasName,
      version: this.version,
    });
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, "Deployment", {
      alias: this.alias,
      application: props.application,
      deploymentConfig: props.deploymentConfig ?? BLUE_GREEN_DEFAULTS.deploymentConfig,
      alarms: props.alarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroup.role).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
      reason:
        "AWSCodeDeployRoleForLambdaLimited is the AWS-maintained least-privilege role for Lambda deployments (alias updates, alarm reads, hook invocation).",
    });
    if (props.preTrafficHook) {
      const hook = props.preTrafficHook;
      this.deploymentGroup.addPreHook(hook);
      const hookResource = hook.node.defaultChild;
      if (CfnElement.isCfnElement(hookResource)) {
        const hookId = Stack.of(hook).getLogicalId(hookResource);
        Validations.of(this.deploymentGroup.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${hookId}.Arn>:*]`,
          reason:
            "Granted by CodeDeploy's addPreHook so the deployment can invoke the hook; `:*` spans the hook's own versions, nothing else.",
        });
      }
      // Exactly the version being deployed: the policy follows each new version, no `:*` wildcard.
      this.version.grantInvoke(hook);
      // The hook reads the deployment to learn which version to smoke-test.
      hook.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["codedeploy:GetDeployment"],
          resources: [this.deploymentGroup.deploymentGroupArn],
        }),
      );
    }
  }

  /** Adds an alarm that rolls the deployment back when it goes off. */
  addAlarm(alarm: cloudwatch.IAlarm): void {
    this.deploymentGroup.addAlarm(alarm);
  }
}
