import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
} from "@aws-sdk/client-dynamodb";
import { type IdempotencyRecord, parseIdempotencyRecord } from "../../lambdas/processor/idempotencyStore.js";
import { chunk } from "../../lambdas/shared/chunk.js";
import { backoffDelay } from "../../lambdas/shared/retry.js";
import { IdempotencyTable } from "../../lambdas/shared/tables.js";

/** BatchGetItem reads at most 100 keys per call. */
const MAX_KEYS = 100;
/** Calls that return unprocessed keys (throttling) are retried this often before giving up. */
const MAX_ROUNDS = 8;

/**
 * The idempotency records of these observations, read consistently (what the processor decided last):
 * a map from observation id to its record; an observation the table does not hold is absent.
 */
export async function readIdempotencyRecords(
  ddb: DynamoDBClient,
  tableName: string,
  observationIds: readonly string[],
): Promise<Map<string, IdempotencyRecord>> {
  const found = new Map<string, IdempotencyRecord>();
  for (const ids of chunk([...new Set(observationIds)], { maxItems: MAX_KEYS })) {
    let request: Record<string, KeysAndAttributes> | undefined = {
      [tableName]: {
        Keys: ids.map((id) => ({ [IdempotencyTable.partitionKey]: { S: id } })),
        ConsistentRead: true,
      },
    };
    for (let round = 0; request && Object.keys(request).length > 0; round++) {
      if (round >= MAX_ROUNDS)
        throw new Error(`${tableName}: BatchGetItem left keys unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await sleep(backoffDelay(round, { baseDelayMs: 100, maxDelayMs: 2_000 }));
      const out: BatchGetItemCommandOutput = await ddb.send(
        new BatchGetItemCommand({ RequestItems: request }),
      );
      for (const item of out.Responses?.[tableName] ?? []) {
        const record = parseIdempotencyRecord(item);
        if (record) found.set(record.id, record);
      }
      request = out.UnprocessedKeys;
    }
  }
  return found;
}

/**
 * Forgets that an observation was applied, so that its re-drive is applied again instead of dropped as
 * a duplicate: deletes its record only while it is still COMPLETED. False when it changed meanwhile (a
 * worker claimed it again, or the TTL removed it): then the record is not ours to touch.
 */
export async function reopenCompleted(
  ddb: DynamoDBClient,
  tableName: string,
  observationId: string,
): Promise<boolean> {
  try {
    await ddb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { [IdempotencyTable.partitionKey]: { S: observationId } },
        ConditionExpression: "#status = :completed",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":completed": { S: "COMPLETED" } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
