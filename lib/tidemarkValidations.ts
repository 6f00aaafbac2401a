import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import { Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";

/** Prefix of cfn-guard rule ids in acknowledgments (the plugin's name). */
export const CFN_GUARD = "cdk-validator-cfnguard";

/** Acknowledges a cfn-guard (Control Tower proactive control) rule on one construct, with its reason. */
export const acknowledgeGuardRule = (scope: IConstruct, rule: string, reason: string): void => {
  Validations.of(scope).acknowledge({ id: `${CFN_GUARD}::${rule}`, reason });
};

/**
 * The policy checks every synth runs: cdk-nag AwsSolutions and the Control Tower rules through
 * cfn-guard (bundled binary, offline). Any unacknowledged finding fails the synth.
 */
export const addTidemarkValidations = (app: IConstruct): void => {
  // cdk-nag v3 is a policy-validation plugin; the v2 Aspects form throws.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator());
};
