import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { TTL_ATTRIBUTE } from "../../shared/tables.js";
import type { StreamFilter } from "./runSubscription.js";

/** Partition key of the WebSocket connections table (API Gateway's connection id). */
export const CONNECTIONS_TABLE_KEY = "connectionId";

/** One open WebSocket connection of the AWS stream, as its table item holds it. */
export interface WebSocketConnection {
  readonly connectionId: string;
  /** The last sequence number this connection has been given (delivered, or passed by its filter). */
  readonly after: number;
  readonly filter: StreamFilter;
  /** Epoch ms of `$connect`. */
  readonly connectedAt: number;
  /** Epoch ms of the last frame posted to it (ready, event or heartbeat); 0 before the first. */
  readonly lastSentAt: number;
  /** Whether its `ready` frame went out. */
  readonly ready: boolean;
}

export interface WebSocketConnections {
  add(c: Pick<WebSocketConnection, "connectionId" | "after" | "filter" | "connectedAt">): Promise<void>;
  remove(connectionId: string): Promise<void>;
  /** How many items the table holds (eventually consistent: the connection limit's count). */
  count(): Promise<number>;
  list(): Promise<WebSocketConnection[]>;
  /**
   * Moves a connection's position from `from` to `to` and marks it ready (stamping lastSentAt when a
   * frame went out) only if it still is at `from`: false when it moved meanwhile or was removed.
   */
  advance(connectionId: string, from: number, to: number, sentAt?: number): Promise<boolean>;
}

/** API Gateway closes a WebSocket connection after 2 hours; an item the `$disconnect` missed expires an hour later. */
export const CONNECTION_TTL_SECONDS = 3 * 3600;

/** The AWS stream's connection store: one small table, one item per connection, expired by TTL. */
export function createWebSocketConnections(p: {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
}): WebSocketConnections {
  const { ddb, tableName } = p;
  const key = (id: string) => ({ [CONNECTIONS_TABLE_KEY]: { S: id } });
  const scan = async <T>(input: { Select?: "COUNT" }, take: (out: ScanCommandOutput) => T[]) => {
    const all: T[] = [];
    let start: Record<string, never> | undefined;
    do {
      const out = await ddb.send(
        new ScanCommand({ TableName: tableName, ...input, ExclusiveStartKey: start }),
      );
      all.push(...take(out));
      start = out.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start !== undefined);
    return all;
  };
  return {
    async add(c) {
      await ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...key(c.connectionId),
            after: { N: String(c.after) },
            filter: { S: JSON.stringify(c.filter) },
            connectedAt: { N: String(c.connectedAt) },
            lastSentAt: { N: "0" },
            ready: { BOOL: false },
            [TTL_ATTRIBUTE]: { N: String(Math.floor(c.connectedAt / 1000) + CONNECTION_TTL_SECONDS) },
          },
        }),
      );
    },
    async remove(connectionId) {
      await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: key(connectionId) }));
    },
    async count() {
      const counts = await scan({ Select: "COUNT" }, (out) => [out.Count ?? 0]);
      return counts.reduce((a, b) => a + b, 0);
    },
    async list() {
      return scan({}, (out) =>
        (out.Items ?? []).map((item) => ({
          connectionId: item[CONNECTIONS_TABLE_KEY]?.S ?? "",
          after: Number(item.after?.N ?? 0),
          filter: JSON.parse(item.filter?.S ?? "{}") as StreamFilter,
          connectedAt: Number(item.connectedAt?.N ?? 0),
          lastSentAt: Number(item.lastSentAt?.N ?? 0),
          ready: item.ready?.BOOL === true,
        })),
      );
    },
    async advance(connectionId, from, to, sentAt) {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(connectionId),
            UpdateExpression: `SET #after = :to, ready = :true${sentAt === undefined ? "" : ", lastSentAt = :sentAt"}`,
            ConditionExpression: "#after = :from",
            ExpressionAttributeNames: { "#after": "after" },
            ExpressionAttributeValues: {
              ":to": { N: String(to) },
              ":from": { N: String(from) },
              ":true": { BOOL: true },
              ...(sentAt === undefined ? {} : { ":sentAt": { N: String(sentAt) } }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
