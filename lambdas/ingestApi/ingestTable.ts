import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The ingest table: one home for its name, keys, indexes and item layout (the routes, the sweeper, the
 * anchor function, the CLI, local provisioning and the CDK construct all read them from here).
 *
 *   pk                         sk                    item
 *   idem#<eventId>             "-"                   idempotency record: stream, clientEventId, sequence, acceptedAt, token, ttl
 *   head#<stream>              "-"                   stream head: head (last sequence assigned), updatedAt
 *   ev#<stream>                seq(sequence)         event record: eventId, type, payload | payloadRef, receipt
 *                                                     (written once, by the sequencing transaction)
 *   outbox#<shard>             seq(at)#stream#seq(from)  outbox entry of one sequencing transaction: stream, from,
 *                                                     to, at; deleted once ev from..to are on the queue
 *   schema                     <eventType>           JSON Schema (as text), version, updatedAt
 *   mode                       <stream>              schema mode of the stream
 *   apikey                     <keyId>               secretSha256, streams, rate, burst, createdAt, revokedAt
 *   stream                     <stream>              registry of streams with events (written with the first)
 *   commithead#<stream>        "-"                   last committed sequence and when
 *   commit#<stream>            seq(toSequence)       commitment: fromSequence, root, signature, anchor
 *
 * Invariant: an `ev#` item at sequence n exists iff head#<stream> ≥ n (they are written in one transaction).
 */
export const INGEST_TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

/** The item (events) → stream lookup for receipts and proofs by eventId, KEYS_ONLY. */
export const EVENT_ID_INDEX = { indexName: "eventId-index", partitionKey: "eventId" } as const;

/**
 * Partitions of the outbox (spreads a burst of pending entries). An entry covers one sequencing
 * transaction's range, so the request path writes one item and deletes one item per ≤ 48 events instead of
 * rewriting every event item to clear its pending mark; its sort key starts with the time it was written,
 * so the sweeper reads, with strong consistency and no index, only entries older than its grace period.
 */
export const OUTBOX_SHARDS = 4;

export const TTL_ATTRIBUTE = "ttl";
export const SINGLETON_SK = "-";

/** Sequences sort as strings: zero-padded to 16 digits (past 2^53, ample for one stream). */
export const seqKey = (sequence: number): string => String(sequence).padStart(16, "0");

export const ingestKeys = {
  idempotency: (eventId: string) => ({ pk: `idem#${eventId}`, sk: SINGLETON_SK }),
  head: (stream: string) => ({ pk: `head#${stream}`, sk: SINGLETON_SK }),
  event: (stream: string, sequence: number) => ({ pk: `ev#${stream}`, sk: seqKey(sequence) }),
  eventsOf: (stream: string) => `ev#${stream}`,
  schema: (eventType: string) => ({ pk: "schema", sk: eventType }),
  mode: (stream: string) => ({ pk: "mode", sk: stream }),
  apiKey: (keyId: string) => ({ pk: "apikey", sk: keyId }),
  streamEntry: (stream: string) => ({ pk: "stream", sk: stream }),
  streams: "stream",
  commitHead: (stream: string) => ({ pk: `commithead#${stream}`, sk: SINGLETON_SK }),
  commitment: (stream: string, toSequence: number) => ({ pk: `commit#${stream}`, sk: seqKey(toSequence) }),
  commitmentsOf: (stream: string) => `commit#${stream}`,
  outboxShard: (shard: number) => `outbox#${shard}`,
  outbox: (stream: string, from: number, atMs: number) => ({
    pk: `outbox#${from % OUTBOX_SHARDS}`,
    sk: `${seqKey(atMs)}#${stream}#${seqKey(from)}`,
  }),
} as const;

/** The table as CreateTable wants it (local provisioning; the CDK construct declares the same). */
export function ingestTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
      { AttributeName: EVENT_ID_INDEX.partitionKey, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: EVENT_ID_INDEX.indexName,
        KeySchema: [{ AttributeName: EVENT_ID_INDEX.partitionKey, KeyType: "HASH" }],
        Projection: { ProjectionType: "KEYS_ONLY" },
      },
    ],
  };
}
