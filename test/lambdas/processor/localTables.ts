import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../scripts/local/dynamoDbLocal.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { type ProvisionedTables, provisionTables } from "../../../scripts/local/provision.js";

/**
 * DynamoDB Local with the pipeline's tables for one test file: started before its tests, stopped after.
 * Read `ddb` and `tables` inside tests (they are set once the file's first beforeAll has run).
 */
export function useLocalTables(): { ddb: DynamoDBClient; tables: ProvisionedTables } {
  const parts = {} as { ddb: DynamoDBClient; tables: ProvisionedTables };
  let local: DynamoDbLocal | undefined;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
    parts.ddb = new DynamoDBClient(localAwsConfig(local.endpoint));
    parts.tables = await provisionTables({ ddb: parts.ddb });
  });
  afterAll(async () => {
    parts.ddb?.destroy();
    await local?.stop();
  });
  return parts;
}

/**
 * What the processor's integration tests run on: DynamoDB Local with the tables (`useLocalTables`) and
 * an SQS client whose mock (the DLQ) is reset after each test.
 */
export function useProcessorParts() {
  const dynamo = useLocalTables();
  const sqs = new SQSClient({ region: "us-east-1" });
  const sqsMock = mockClient(sqs);
  afterEach(() => {
    sqsMock.reset();
  });
  return { dynamo, sqs, sqsMock };
}
