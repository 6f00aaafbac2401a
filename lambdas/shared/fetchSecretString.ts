import { lambdaAwsRequester } from "./awsLambdaRequester.js";
import { createSecretsManagerJsonClient, type SecretReader } from "./awsSecretsManager.js";
import { AwsEnv } from "./environment.js";

/** How long a secret read is reused before it is read again (a rotated secret reaches a warm container). */
export const SECRET_MAX_AGE_MS = 3_600_000;

/**
 * A cached reader of secrets: each secret read once, then again after `maxAgeMs`; a failed read is not
 * kept, so the next call asks again.
 */
export function cachedSecretReader(
  reader: SecretReader,
  options: { readonly maxAgeMs?: number; readonly now?: () => number } = {},
): (secretId: string) => Promise<string | undefined> {
  const maxAgeMs = options.maxAgeMs ?? SECRET_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { readonly at: number; readonly value: Promise<string | undefined> }>();
  return (secretId) => {
    const held = cache.get(secretId);
    if (held && now() - held.at < maxAgeMs) return held.value;
    const value = reader.getSecretString(secretId);
    cache.set(secretId, { at: now(), value });
    value.catch(() => cache.delete(secretId));
    return value;
  };
}

let shared: ((secretId: string) => Promise<string | undefined>) | undefined;

/**
 * A Secrets Manager secret's string, as a Lambda function reads it: over the light request path with the
 * function's region and role, cached an hour per container; undefined when it has none.
 */
export function fetchSecretString(secretId: string): Promise<string | undefined> {
  shared ??= cachedSecretReader(
    createSecretsManagerJsonClient({
      requester: lambdaAwsRequester(process.env),
      endpoint: process.env[AwsEnv.EndpointUrlSecretsManager],
    }),
  );
  return shared(secretId);
}
