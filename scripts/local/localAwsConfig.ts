/** Region every local part and client uses; the SQS server builds ARNs and queue URLs in it. */
export const LOCAL_AWS_REGION = "us-east-1";

/** Dummy static credentials: the SDK insists on signing; the SQS server checks them when asked (verifySignatures). */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/**
 * Client configuration for an AWS SDK v3 client talking to a local part. The explicit endpoint and
 * static credentials keep the SDK from reading ~/.aws or the environment, so nothing leaves 127.0.0.1.
 */
export function localAwsConfig(endpoint: string): {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { region: LOCAL_AWS_REGION, endpoint, credentials: { ...LOCAL_AWS_CREDENTIALS } };
}
