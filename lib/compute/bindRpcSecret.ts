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
  secret.grantRead(fn);
  return secret;
};
