import { fileURLToPath } from "node:url";
import { OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";

/**
 * Bundling choices shared by the CDK functions (PipelineFunction) and the bundle benchmark, so that
 * the bench measures exactly what `cdk deploy` ships.
 */

/**
 * esbuild output settings of every Lambda bundle.
 * CommonJS on purpose: esbuild hoists an external module's import to the top of an ESM bundle, so the
 * DuckDB adapter's import would run (and fail) at every cold start. In CommonJS it stays a lazy
 * require() that only the duckdb sink ever reaches.
 */
export const LAMBDA_BUNDLE_OUTPUT = {
  format: OutputFormat.CJS,
  target: "node22",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ["module", "main"],
} as const;

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
  // The X-Ray SDK's only use of semver is SDK v2 capture: see lambdas/shared/semverUnused.ts.
  semver: fileURLToPath(new URL("../../lambdas/shared/semverUnused.ts", import.meta.url)),
  // The X-Ray SDK's current-segment context, on AsyncLocalStorage: see lambdas/shared/clsOnAsyncLocalStorage.ts.
  "cls-hooked/context": fileURLToPath(
    new URL("../../lambdas/shared/clsOnAsyncLocalStorage.ts", import.meta.url),
  ),
  // No function calls an event-stream operation: see lambdas/shared/eventStreamsUnused.ts.
  "@smithy/core/event-streams": fileURLToPath(
    new URL("../../lambdas/shared/eventStreamsUnused.ts", import.meta.url),
  ),
};
