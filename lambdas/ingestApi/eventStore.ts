import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { NotFoundError } from "./errors.js";
import { EVENT_ID_INDEX, ingestKeys, seqKey } from "./ingestTable.js";
import { fromOutboxItem, type OutboxRecord } from "./outboxRecord.js";
import { queryPartition } from "./queryPartition.js";

export interface EventStore {
  /** Events of `stream` with sequence > `after`, in order, at most `limit`. */
  readEvents(stream: string, after: number, limit: number): Promise<OutboxRecord[]>;
  /** Events fromSequence … toSequence inclusive, in order (commitments: all of them, paged). */
  readRange(stream: string, fromSequence: number, toSequence: number): Promise<OutboxRecord[]>;
  /** The event with this id; NotFoundError when there is none. */
  getEvent(eventId: string): Promise<OutboxRecord>;
  /** The stream's head: the last sequence assigned (0 before the first event). */
  head(stream: string): Promise<number>;
  /** Every stream holding events (the registry its first events wrote), in name order. */
  streams(): Promise<string[]>;
}

export function createEventStore({ ddb, tableName }: { ddb: DynamoDBClient; tableName: string }): EventStore {
  const query = async (stream: string, from: number, to: number, limit: number): Promise<OutboxRecord[]> => {
    const out: OutboxRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: {
            ":pk": { S: ingestKeys.eventsOf(stream) },
            ":from": { S: seqKey(from) },
            ":to": { S: seqKey(to) },
          },
          ConsistentRead: true,
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []).map(fromOutboxItem));
      start = out.length < limit ? page.LastEvaluatedKey : undefined;
    } while (start);
    return out;
  };

  const getByKey = async (key: { pk: string; sk: string }) => {
    const { Item } = await ddb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    );
    return Item;
  };

  return {
    readEvents: (stream, after, limit) => query(stream, after + 1, Number.MAX_SAFE_INTEGER, limit),
    readRange: (stream, from, to) => query(stream, from, to, to - from + 1),
    async getEvent(eventId) {
      // The idempotency record names the event while it lives (strongly consistent); after its TTL the
      // eventId index (eventually consistent, for events long accepted) does.
      const idem = await getByKey(ingestKeys.idempotency(eventId));
      let key: { pk: string; sk: string } | undefined;
      if (idem?.stream?.S && idem.sequence?.N) key = ingestKeys.event(idem.stream.S, Number(idem.sequence.N));
      else {
        const { Items } = await ddb.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: EVENT_ID_INDEX.indexName,
            KeyConditionExpression: "#id = :id",
            ExpressionAttributeNames: { "#id": EVENT_ID_INDEX.partitionKey },
            ExpressionAttributeValues: { ":id": { S: eventId } },
            Limit: 1,
          }),
        );
        const found = Items?.[0];
        if (found?.pk?.S && found.sk?.S) key = { pk: found.pk.S, sk: found.sk.S };
      }
      const item = key && (await getByKey(key));
      if (!item) throw new NotFoundError(`no event ${eventId}`, { field: "eventId" });
      return fromOutboxItem(item);
    },
    async head(stream) {
      const item = await getByKey(ingestKeys.head(stream));
      return Number(item?.head?.N ?? "0");
    },
    streams: () =>
      queryPartition({ ddb, tableName, pk: ingestKeys.streams }, (item) => item.sk?.S ?? "").then((names) =>
        names.filter((n) => n !== ""),
      ),
  };
}
