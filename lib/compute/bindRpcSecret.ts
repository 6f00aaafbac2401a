import { ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { IngestorEnv } from "../../lambdas/shared/environment.js";

/**
 * Passes the name of the Secrets Manager secret holding the RPC URLs (RPC_URLS_SECRET_ID) and
 * lets the function read that secret. The URLs carry API keys: they never appear in the
 * template or in environment values; the secret is created and filled outside CDK.
 */
export const bindRpcSecret = (
  scope: Construct,
  fn: lambda.Function,
  secretName: string,
): secretsmanager.ISecret => {
  const secret = secretsmanager.Secret.fromSecretNameV2(scope, "RpcUrlsSecret", secretName);
  fn.addEnvironment(IngestorEnv.RpcUrlsSecretId, secretName);
  // GetSecretValue only: grantRead adds DescribeSecret, which fetchSecretString never calls
  // (test/lib/contract/permissionsContract). A secret's ARN ends in six random characters.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["secretsmanager:GetSecretValue"],
      resources: [
        Stack.of(scope).formatArn({
          service: "secretsmanager",
          resource: "secret",
          resourceName: `${secretName}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  return secret;
};
