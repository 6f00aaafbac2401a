import { type AwsHttpResponse, type AwsRequester, awsJsonError } from "./awsRequest.js";

/** One entry of SendMessageBatch, as the SQS JSON protocol (and the SDK's input type) spells it. */
export interface SendMessageBatchEntry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly MessageDeduplicationId?: string;
  readonly MessageGroupId?: string;
  readonly MessageAttributes?: Readonly<
    Record<string, { readonly DataType: string; readonly StringValue?: string }>
  >;
}

export interface SendMessageBatchInput {
  readonly QueueUrl: string;
  readonly Entries: readonly SendMessageBatchEntry[];
}

export interface SendMessageBatchOutput {
  readonly Successful?: readonly { readonly Id?: string }[];
  readonly Failed?: readonly {
    readonly Id?: string;
    readonly Code?: string;
    readonly Message?: string;
    readonly SenderFault?: boolean;
  }[];
}

/**
 * The publisher's port to SQS: one SendMessageBatch. The light client below implements it; so does
 * an SDK `SQSClient` through `sdkSqsBatchSender` (awsSqsFromSdk.ts).
 */
export interface SqsBatchSender {
  sendMessageBatch(input: SendMessageBatchInput): Promise<SendMessageBatchOutput>;
}

export interface CreateSqsJsonClientParameters {
  readonly requester: AwsRequester;
  /**
   * Where requests go (AWS_ENDPOINT_URL_SQS). @default the queue URL's origin, as the SDK's
   * `useQueueUrlAsEndpoint` does: `https://sqs.<region>.amazonaws.com` for an AWS queue.
   */
  readonly endpoint?: string;
}

const TARGET_PREFIX = "AmazonSQS.";

/**
 * SQS over its AWS JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.SendMessageBatch`): the request body
 * is the input as JSON, the answer the output as JSON. Rejects with an AwsServiceError named by
 * SQS's error code (a throttle is marked `$retryable.throttling`); the message names the queue.
 */
export function createSqsJsonClient(parameters: CreateSqsJsonClientParameters): SqsBatchSender {
  const { requester } = parameters;
  const call = async (action: string, queueUrl: string, input: object): Promise<unknown> => {
    const url = new URL("/", parameters.endpoint ?? new URL(queueUrl).origin);
    let response: AwsHttpResponse;
    try {
      response = await requester.send({
        service: "sqs",
        method: "POST",
        url,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": `${TARGET_PREFIX}${action}`,
        },
        body: JSON.stringify(input),
      });
    } catch (cause) {
      throw new Error(`${action} to ${queueUrl}: no answer from ${url.origin}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (response.status === 200) return JSON.parse(response.body);
    throw awsJsonError("sqs", `${action} to ${queueUrl}`, response);
  };
  return {
    sendMessageBatch: (input) =>
      call("SendMessageBatch", input.QueueUrl, input) as Promise<SendMessageBatchOutput>,
  };
}
