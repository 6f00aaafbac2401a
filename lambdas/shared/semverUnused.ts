/**
 * Stands in for `semver` in the Lambda bundles (LAMBDA_BUNDLE_ALIASES): aws-xray-sdk-core requires it
 * only to check the version of AWS SDK v2 in `captureAWS`, which Tidemark never calls (SDK v3 clients
 * are captured with captureAWSv3Client). The real package is ~29 KB of every bundle.
 */
export function gte(version: string, minimum: string): never {
  throw new Error(`semver.gte(${version}, ${minimum}) is not bundled: AWS SDK v2 capture is not used`);
}
