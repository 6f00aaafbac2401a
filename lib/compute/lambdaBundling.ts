import { fileURLToPath } from "node:url";

/**
 * Bundling choices shared by the CDK functions (PipelineFunction) and the bundle benchmark, so that
 * the bench measures exactly what `cdk deploy` ships.
 */

/** Left out of the bundle. DuckDB is the local sink (a native module); the Lambda sink is Firehose. */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = ["@duckdb/node-api"];

/**
 * Modules swapped for a smaller one in the Lambda bundles only. Paths are absolute: esbuild resolves
 * an alias from its working directory, which is the deploying app's root when the Tidemark construct
 * is embedded in another CDK app. The SDK's full credential chain (SSO, ini, process, web identity, IMDS and
 * their STS/SSO clients) becomes the two sources Lambda uses: see lambdas/shared/lambdaCredentialProvider.ts.
 */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/credential-provider-node": fileURLToPath(
    new URL("../../lambdas/shared/lambdaCredentialProvider.ts", import.meta.url),
  ),
};
