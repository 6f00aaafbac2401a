import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
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
