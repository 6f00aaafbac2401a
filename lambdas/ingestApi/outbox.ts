import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { chunk } from "../shared/chunk.js";
import { apiMessageGroupId } from "./apiEventMessage.js";
import { type IngestFaultInjector, IngestFaultPoint } from "./ingestFaultPoints.js";
import { OUTBOX_INDEX, OUTBOX_SHARDS } from "./ingestTable.js";
import { fromOutboxItem, type OutboxRecord, toMessageBody, toOutboxItem } from "./outboxRecord.js";

export interface OutboxParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly partitions: number;
  readonly faults?: IngestFaultInjector;
}

export interface EnqueueReturnType {
  /** Records now on the queue and marked enqueued. */
  readonly sent: number;
  /** Records SQS refused this time; they stay in the outbox for drainOutbox. */
  readonly unsent: number;
}

/** SendMessageBatch: 10 entries and 256 KiB per call. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 250 * 1024;

/**
 * Put outbox records on the FIFO queue and mark them enqueued. Dedup id = eventId, so a record sent
 * twice (a crash after the send, before the mark; the sweeper racing the request) is one message
 * within SQS's 5 minutes, and the processor drops a later one by eventId. Never throws for SQS
 * refusing: an unsent record is durable in the outbox and the sweeper sends it.
 */
export async function enqueueOutbox(
  parameters: OutboxParameters,
  records: readonly OutboxRecord[],
): Promise<EnqueueReturnType> {
  const { sqs, queueUrl, partitions } = parameters;
  const sent: OutboxRecord[] = [];
  const batches = chunk(records, {
    maxItems: MAX_ENTRIES,
    maxBytes: MAX_BATCH_BYTES,
    sizeOf: (r) => Buffer.byteLength(toMessageBody(r)) + 200,
  });
  await Promise.all(
    batches.map(async (batch) => {
      try {
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((r, i) => ({
              Id: String(i),
              MessageBody: toMessageBody(r),
              MessageDeduplicationId: r.eventId,
              MessageGroupId: apiMessageGroupId(r.stream, r.sequence, partitions),
            })),
          }),
        );
        for (const ok of out.Successful ?? []) sent.push(batch[Number(ok.Id)] as OutboxRecord);
      } catch {
        // Whole call failed: these records stay pending; the sweeper retries them after the grace period.
      }
    }),
  );
  parameters.faults?.hit(IngestFaultPoint.AfterSend, { sent: sent.length });
  await markEnqueued(parameters, sent);
  return { sent: sent.length, unsent: records.length - sent.length };
}

/**
 * Mark sent records enqueued by writing each `ev#` item again without its outbox attributes, 25 to a
 * BatchWriteItem: the item is a pure function of the record (toOutboxItem) and nothing else writes it, so
 * the put changes only the outbox marks. One UpdateItem per event was the request path's largest cost
 * (100 calls for a batch of 100). What stays unmarked (unprocessed twice, a failed call) is sent again by
 * the sweeper and deduplicated by eventId.
 */
async function markEnqueued(parameters: OutboxParameters, records: readonly OutboxRecord[]): Promise<void> {
  const { ddb, tableName } = parameters;
  await Promise.all(
    chunk(records, { maxItems: 25 }).map(async (group) => {
      let requests = group.map((r) => ({ PutRequest: { Item: toOutboxItem({ ...r, enqueued: true }, 0) } }));
      for (let attempt = 0; attempt < 3 && requests.length > 0; attempt++) {
        const out = await ddb
          .send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }))
          .catch(() => undefined);
        if (!out) return;
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }),
  );
}

export interface DrainOutboxParameters extends OutboxParameters {
  /** Records accepted less than this long ago are left to their request (it may still be sending). */
  readonly graceSeconds: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** At most this many records per call. @default 1000 */
  readonly limit?: number;
}

/**
 * The outbox sweeper: re-send every record still not enqueued after the grace period (its request
 * crashed between the sequencing transaction and the send, or SQS refused). Run on a schedule.
 */
export async function drainOutbox(parameters: DrainOutboxParameters): Promise<EnqueueReturnType> {
  const { ddb, tableName, graceSeconds, limit = 1000 } = parameters;
  const cutoff = (parameters.now ?? Date.now)() - graceSeconds * 1000;
  const keys: Record<string, AttributeValue>[] = [];
  for (let shard = 0; shard < OUTBOX_SHARDS && keys.length < limit; shard++) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: OUTBOX_INDEX.indexName,
          KeyConditionExpression: "#shard = :shard AND #at <= :cutoff",
          ExpressionAttributeNames: { "#shard": OUTBOX_INDEX.partitionKey, "#at": OUTBOX_INDEX.sortKey },
          ExpressionAttributeValues: { ":shard": { S: `outbox#${shard}` }, ":cutoff": { N: String(cutoff) } },
          ExclusiveStartKey: start,
          Limit: limit - keys.length,
        }),
      );
      for (const item of page.Items ?? [])
        keys.push({ pk: item.pk as AttributeValue, sk: item.sk as AttributeValue });
      start = keys.length < limit ? page.LastEvaluatedKey : undefined;
    } while (start);
  }
  const records: OutboxRecord[] = [];
  for (const group of chunk(keys, { maxItems: 100 })) {
    let pending = group;
    while (pending.length > 0) {
      const out = await ddb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      // The index is eventually consistent: re-check the record itself before sending.
      for (const item of out.Responses?.[tableName] ?? []) {
        const record = fromOutboxItem(item);
        if (!record.enqueued) records.push(record);
      }
      pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  records.sort((a, b) => (a.stream === b.stream ? a.sequence - b.sequence : a.stream < b.stream ? -1 : 1));
  return enqueueOutbox(parameters, records);
}
