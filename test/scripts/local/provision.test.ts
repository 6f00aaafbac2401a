import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { provisionLocal } from "../../../scripts/local/provision.js";
import { type SqsServer, startSqsServer } from "../../../scripts/local/sqsServer.js";

// One DynamoDB Local for the file: it takes seconds to start.
let ddbServer: DynamoDbLocal;
let sqsServer: SqsServer;
let ddb: DynamoDBClient;
let sqs: SQSClient;

beforeAll(async () => {
  [ddbServer, sqsServer] = await Promise.all([startDynamoDbLocal(), startSqsServer()]);
  ddb = new DynamoDBClient(localAwsConfig(ddbServer.endpoint));
  sqs = new SQSClient(localAwsConfig(sqsServer.endpoint));
});

afterAll(async () => {
  ddb?.destroy();
  sqs?.destroy();
  await Promise.all([ddbServer?.stop(), sqsServer?.stop()]);
});

describe("provisionLocal", () => {
  it("creates the contract's tables and FIFO queues", async () => {
    // Act
    const resources = await provisionLocal({ ddb, sqs, visibilityTimeoutSeconds: 2, maxReceiveCount: 3 });

    // Assess
    expect(resources).toMatchObject({
      stateTable: "tidemark-state",
      idempotencyTable: "tidemark-idempotency",
      queueArn: "arn:aws:sqs:us-east-1:000000000000:tidemark-events.fifo",
      dlqArn: "arn:aws:sqs:us-east-1:000000000000:tidemark-events-dlq.fifo",
    });
    expect(resources.queueUrl.startsWith(`${sqsServer.endpoint}/`)).toBe(true);
    const state = await ddb.send(new DescribeTableCommand({ TableName: resources.stateTable }));
    const idem = await ddb.send(new DescribeTableCommand({ TableName: resources.idempotencyTable }));
    expect(state.Table?.KeySchema).toEqual([{ AttributeName: "pk", KeyType: "HASH" }]);
    expect(idem.Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    expect(state.Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    for (const TableName of [resources.stateTable, resources.idempotencyTable]) {
      const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "ttl" });
    }
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ["All"] }),
    );
    expect(Attributes).toMatchObject({
      FifoQueue: "true",
      ContentBasedDeduplication: "false",
      VisibilityTimeout: "2",
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: resources.dlqArn,
      maxReceiveCount: 3,
    });
  });

  it("is idempotent: a second run keeps data and messages, and converges changed settings", async () => {
    // Prepare
    const first = await provisionLocal({
      ddb,
      sqs,
      names: { stateTable: "again-state", queue: "again.fifo" },
    });
    await ddb.send(new PutItemCommand({ TableName: first.stateTable, Item: { pk: { S: "cursor#l1" } } }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: first.queueUrl,
        MessageBody: "kept",
        MessageGroupId: "g",
        MessageDeduplicationId: "d1",
      }),
    );

    // Act
    const second = await provisionLocal({
      ddb,
      sqs,
      names: { stateTable: "again-state", queue: "again.fifo" },
      visibilityTimeoutSeconds: 7,
      maxReceiveCount: 5,
    });

    // Assess
    expect(second).toEqual(first);
    const table = await ddb.send(new DescribeTableCommand({ TableName: second.stateTable }));
    expect(table.Table?.ItemCount).toBe(1);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: second.queueUrl,
        AttributeNames: ["VisibilityTimeout", "RedrivePolicy"],
      }),
    );
    expect(Attributes?.VisibilityTimeout).toBe("7");
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toMatchObject({ maxReceiveCount: 5 });
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: second.queueUrl, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages?.map((m) => m.Body)).toEqual(["kept"]);
  });
});
