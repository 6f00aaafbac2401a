import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createAwsRequester } from "./awsRequest.js";
import type { AwsCredentials } from "./awsSigV4.js";
import { createSqsJsonClient, type SqsBatchSender } from "./awsSqs.js";

/** The publisher's port over an SDK client (tests that mock the SDK, the local pipeline's hooks). */
export function sdkSqsBatchSender(sqs: SQSClient): SqsBatchSender {
  return {
    sendMessageBatch: (input) =>
      sqs.send(new SendMessageBatchCommand({ ...input, Entries: [...input.Entries] })),
  };
}

/**
 * The light SQS client configured like an SDK client: its region, its credentials provider (which
 * memoizes and refreshes) and its endpoint when one was set. For callers handed an SQSClient
 * (`tidemark backfill`, the bench) that should publish over the light path.
 */
export async function sqsJsonClientLike(
  sqs: SQSClient,
): Promise<SqsBatchSender & { readonly destroy: () => void }> {
  const region = await sqs.config.region();
  const endpoint = sqs.config.isCustomEndpoint ? await sqs.config.endpoint?.() : undefined;
  const requester = createAwsRequester({
    region,
    credentials: () => sqs.config.credentials() as Promise<AwsCredentials>,
  });
  const client = createSqsJsonClient({
    requester,
    endpoint: endpoint
      ? `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ""}`
      : undefined,
  });
  return { ...client, destroy: () => requester.destroy() };
}
