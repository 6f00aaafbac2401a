import { type AwsRequester, createAwsRequester } from "./awsRequest.js";
import { AwsEnv } from "./environment.js";
import { ConfigError } from "./errors.js";
import { defaultProvider } from "./lambdaCredentialProvider.js";

/**
 * The light request path as a Lambda function runs it: the region Lambda sets, the execution role's
 * credentials from the sources Lambda provides (environment, container endpoint), refreshed before
 * they expire. Built in a runtime loader, not at module scope: importing a handler must not need AWS_REGION.
 */
export function lambdaAwsRequester(env: Readonly<Record<string, string | undefined>>): AwsRequester {
  const region = env[AwsEnv.Region];
  if (!region) throw new ConfigError(AwsEnv.Region, "not set; Lambda sets it for every function");
  return createAwsRequester({ region, credentials: defaultProvider() });
}
