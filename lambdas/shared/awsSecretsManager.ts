import { type AwsHttpResponse, type AwsRequester, awsJsonError } from "./awsRequest.js";

/** What the functions need of Secrets Manager: one secret's text. */
export interface SecretReader {
  /** The secret's current value as text (a binary secret decoded as UTF-8); undefined when it has none. */
  getSecretString(secretId: string): Promise<string | undefined>;
}

export interface CreateSecretsManagerJsonClientParameters {
  readonly requester: AwsRequester;
  /** Where requests go (AWS_ENDPOINT_URL_SECRETS_MANAGER). @default `https://secretsmanager.<region>.amazonaws.com` */
  readonly endpoint?: string;
}

/**
 * Secrets Manager's GetSecretValue over the light request path (AWS JSON 1.1,
 * `X-Amz-Target: secretsmanager.GetSecretValue`). Its SDK client and Powertools Parameters were ~20 KB
 * of each bundle for one read per container. Rejects with an AwsServiceError named by the service's
 * error code (ResourceNotFoundException, AccessDeniedException, …); the message names the secret.
 */
export function createSecretsManagerJsonClient(
  parameters: CreateSecretsManagerJsonClientParameters,
): SecretReader {
  const { requester } = parameters;
  const url = new URL("/", parameters.endpoint ?? `https://secretsmanager.${requester.region}.amazonaws.com`);
  return {
    getSecretString: async (secretId) => {
      const what = `GetSecretValue of ${secretId}`;
      let response: AwsHttpResponse;
      try {
        response = await requester.send({
          service: "secretsmanager",
          method: "POST",
          url,
          headers: {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "secretsmanager.GetSecretValue",
          },
          body: JSON.stringify({ SecretId: secretId }),
        });
      } catch (cause) {
        throw new Error(`${what}: no answer from ${url.origin}: ${(cause as Error).message}`, { cause });
      }
      if (response.status !== 200) throw awsJsonError("secretsmanager", what, response);
      const out = JSON.parse(response.body) as { SecretString?: string; SecretBinary?: string };
      if (out.SecretString !== undefined) return out.SecretString;
      return out.SecretBinary === undefined
        ? undefined
        : Buffer.from(out.SecretBinary, "base64").toString("utf8");
    },
  };
}
