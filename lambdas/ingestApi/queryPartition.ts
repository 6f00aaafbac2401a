import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";

export interface QueryPartitionParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  /** The partition key value (`pk`) whose items are read, in sort-key order. */
  readonly pk: string;
  /** @default false */
  readonly consistentRead?: boolean;
}

/** Every item of one partition of the ingest table, page after page. */
export async function queryPartition<T>(
  p: QueryPartitionParameters,
  fromItem: (item: Record<string, AttributeValue>) => T,
): Promise<T[]> {
  const out: T[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await p.ddb.send(
      new QueryCommand({
        TableName: p.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: p.pk } },
        ...(p.consistentRead ? { ConsistentRead: true } : {}),
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(page.Items ?? []).map(fromItem));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
