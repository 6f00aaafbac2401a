/**
 * Bundling choices shared by the CDK functions (PipelineFunction) and the bundle benchmark, so that
 * the bench measures exactly what `cdk deploy` ships.
 */

/** Left out of the bundle. DuckDB is the local sink (a native module); the Lambda sink is Firehose. */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = ["@duckdb/node-api"];

/**
 * Modules swapped for a smaller one in the Lambda bundles only. Paths are relative to the project
 * root, where esbuild runs. The SDK's full credential chain (SSO, ini, process, web identity, IMDS and
 * their STS/SSO clients) becomes the two sources Lambda uses: see lambdas/shared/lambdaCredentialProvider.ts.
 */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/credential-provider-node": "./lambdas/shared/lambdaCredentialProvider.ts",
};
