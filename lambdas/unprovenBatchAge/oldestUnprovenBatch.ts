import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { toRetryableError } from "../processor/toRetryableError.js";
import { StateTable, UNPROVEN_INDEX } from "../shared/tables.js";

export interface OldestUnprovenBatchParameters {
  readonly tableName: string;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Index entries read per page. @default 25 */
  readonly pageSize?: number;
}

export interface OldestUnprovenBatchReturnType {
  /** Seconds since the oldest unproven batch was proposed (L1 time); 0 when none is pending. */
  readonly ageSeconds: number;
  readonly batchId?: number;
  /** Stale index entries (proof applied before the proposal) found on the way and cleared. */
  readonly staleCleared: number;
}

/**
 * The oldest proposed batch without proof, from the state table's sparse `unproven` index (sorted by
 * proposal time, so the first live entry is the answer: one small Query, not a scan of every batch).
 *
 * Invariant (lifecycleStore.ts): the index holds exactly the batches proposed in a canonical L1 block
 * without a canonical proof or verification (a reorg that orphans the proof puts the batch back). Items
 * written before the index was derived may still hold an entry beside a proof applied before its proposal;
 * the projected `provedAt`/`verifiedAt` gives it away, so it is skipped here and cleared with a write
 * conditioned on that proof.
 */
export async function oldestUnprovenBatch(
  ddb: DynamoDBClient,
  parameters: OldestUnprovenBatchParameters,
): Promise<OldestUnprovenBatchReturnType> {
  const { tableName, now } = parameters;
  let staleCleared = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  try {
    do {
      const page = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: UNPROVEN_INDEX.indexName,
          KeyConditionExpression: "#u = :u",
          ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
          ExpressionAttributeValues: { ":u": { S: UNPROVEN_INDEX.value } },
          ScanIndexForward: true,
          Limit: parameters.pageSize ?? 25,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item.pk?.S;
        if (item.provedAt !== undefined || item.verifiedAt !== undefined) {
          if (pk !== undefined && (await clearStale(ddb, tableName, pk))) staleCleared++;
          continue;
        }
        const proposedAt = Number(item[UNPROVEN_INDEX.sortKey]?.N);
        const batchId = item.batchId?.N === undefined ? undefined : Number(item.batchId.N);
        const ageSeconds = Math.max(0, Math.floor(now / 1000) - proposedAt);
        return batchId === undefined ? { ageSeconds, staleCleared } : { ageSeconds, batchId, staleCleared };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  } catch (error) {
    throw toRetryableError(error, "unproven batch query", { tableName });
  }
  return { ageSeconds: 0, staleCleared };
}

async function clearStale(ddb: DynamoDBClient, tableName: string, pk: string): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [StateTable.partitionKey]: { S: pk } },
        UpdateExpression: "REMOVE #u",
        // Only while the proof is there: never take a batch out of the index on a stale read.
        ConditionExpression: "attribute_exists(provedAt) OR attribute_exists(verifiedAt)",
        ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
