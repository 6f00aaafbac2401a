import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishEvents } from "../../../lambdas/ingestor/publisher.js";
import { AwsServiceError, createAwsRequester } from "../../../lambdas/shared/awsRequest.js";
import { createSqsJsonClient } from "../../../lambdas/shared/awsSqs.js";
import { RetryableError } from "../../../lambdas/shared/errors.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import { messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import {
  LOCAL_AWS_CREDENTIALS,
  LOCAL_AWS_REGION,
  localAwsConfig,
} from "../../../scripts/local/localAwsConfig.js";
import { type SqsServer, startSqsServer } from "../../../scripts/local/sqsServer.js";
import { l1Header } from "../../support/events.js";

describe("the light SQS client against the local SQS server (signatures checked)", () => {
  let server: SqsServer;
  let sdk: SQSClient;
  let queueUrl: string;
  const requesters: ReturnType<typeof createAwsRequester>[] = [];
  const lightClient = (secretAccessKey: string = LOCAL_AWS_CREDENTIALS.secretAccessKey) => {
    const requester = createAwsRequester({
      region: LOCAL_AWS_REGION,
      credentials: async () => ({ ...LOCAL_AWS_CREDENTIALS, secretAccessKey }),
    });
    requesters.push(requester);
    return createSqsJsonClient({ requester });
  };

  beforeAll(async () => {
    server = await startSqsServer({ verifySignatures: true });
    sdk = new SQSClient(localAwsConfig(server.endpoint));
    const out = await sdk.send(
      new CreateQueueCommand({ QueueName: "light.fifo", Attributes: { FifoQueue: "true" } }),
    );
    queueUrl = out.QueueUrl as string;
  });
  afterAll(async () => {
    for (const r of requesters) r.destroy();
    sdk?.destroy();
    await server?.stop();
  });

  it("publishes signed batches the server verifies, with dedup ids, groups, attributes and per-group order", async () => {
    // Prepare
    const events: PipelineEvent[] = Array.from({ length: 23 }, (_, i) => l1Header(100 + i));
    const before = { ...server.signatures };
    // Act
    const result = await publishEvents(lightClient(), queueUrl, events, 4, { lanes: 3 });
    const received = [];
    for (;;) {
      const out = await sdk.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
          VisibilityTimeout: 60,
        }),
      );
      if (!out.Messages?.length) break;
      received.push(...out.Messages);
      // A FIFO group's next message comes once the one in flight is deleted.
      await sdk.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    // Assess: every request checked and none refused (the SDK's own requests count too)
    expect(result).toEqual({ sent: 23, retried: 0 });
    expect(server.signatures.refused).toBe(before.refused);
    expect(server.signatures.verified - before.verified).toBeGreaterThanOrEqual(3);
    expect(received).toHaveLength(23);
    const byDedup = new Map(events.map((e) => [observationId(e), e]));
    for (const m of received) {
      const event = byDedup.get(m.Attributes?.MessageDeduplicationId ?? "");
      expect(event).toBeDefined();
      expect(JSON.parse(m.Body ?? "")).toEqual(event);
      expect(m.Attributes?.MessageGroupId).toBe(messageGroupId(event as PipelineEvent, 4));
      expect(m.MessageAttributes?.eventType?.StringValue).toBe("l1_header");
    }
    // FIFO delivers each group in send order: within a group, block numbers only rise.
    const groups = new Map<string, number[]>();
    for (const m of received) {
      const list = groups.get(m.Attributes?.MessageGroupId ?? "") ?? [];
      list.push((JSON.parse(m.Body ?? "") as { number: number }).number);
      groups.set(m.Attributes?.MessageGroupId ?? "", list);
    }
    for (const numbers of groups.values()) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("gets a refused signature as an error naming the queue, and the publisher's error names it too", async () => {
    // Prepare
    const wrong = lightClient("not-the-secret");
    const refusedBefore = server.signatures.refused;
    // Act
    const direct = await wrong
      .sendMessageBatch({
        QueueUrl: queueUrl,
        Entries: [{ Id: "0", MessageBody: "{}", MessageGroupId: "g" }],
      })
      .catch((e: unknown) => e);
    const published = await publishEvents(wrong, queueUrl, [l1Header(1)], 4, {
      maxAttempts: 2,
      sleep: async () => {},
    }).catch((e: unknown) => e);
    // Assess
    expect(direct).toBeInstanceOf(AwsServiceError);
    expect((direct as AwsServiceError).name).toBe("SignatureDoesNotMatch");
    expect((direct as Error).message).toContain(queueUrl);
    expect(published).toBeInstanceOf(RetryableError);
    expect((published as Error).message).toContain(queueUrl);
    expect((published as Error).message).toContain(observationId(l1Header(1)));
    expect((published as Error).message).toContain("SignatureDoesNotMatch");
    expect(server.signatures.refused - refusedBefore).toBe(3);
  });
});
