import { fromEnv } from "@aws-sdk/credential-provider-env";
import { type FromHttpOptions, fromHttp } from "@aws-sdk/credential-provider-http";

/** What every SDK credential provider is: a function resolving to credentials. */
type CredentialProvider = ReturnType<typeof fromEnv>;

/**
 * The AWS SDK's default credential chain, cut down to the sources Lambda actually uses. Substituted for
 * `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild alias, see
 * lib/compute/lambdaBundling.ts); local runs and tests keep the full chain.
 *
 * Lambda hands a function its execution role's credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, or, on Lambda Managed Instances and SnapStart, through the container credentials
 * endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN). The full chain also
 * carries SSO, ini files, credential_process, web identity and IMDS, with their STS/SSO clients: about
 * 80 KB of each bundle that a Lambda function never reaches (bench: bundles).
 *
 * Same shape as the SDK's `defaultProvider(init)`; the SDK memoizes and refreshes the result itself.
 */
export function defaultProvider(init: FromHttpOptions = {}): CredentialProvider {
  return async () => {
    if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
    if (
      init.awsContainerCredentialsFullUri ||
      init.awsContainerCredentialsRelativeUri ||
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
    ) {
      return fromHttp(init)();
    }
    throw new Error(
      "no AWS credentials: neither AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY nor AWS_CONTAINER_CREDENTIALS_FULL_URI/RELATIVE_URI is set (the Lambda bundle reads only the sources Lambda provides)",
    );
  };
}
