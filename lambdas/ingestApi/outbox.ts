import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { chunk } from "../shared/chunk.js";
import { apiMessageGroupId } from "./apiEventMessage.js";
import { createEventStore } from "./eventStore.js";
import { type IngestFaultInjector, IngestFaultPoint } from "./ingestFaultPoints.js";
import { ingestKeys, OUTBOX_SHARDS, seqKey } from "./ingestTable.js";
import { fromOutboxChunkItem, type OutboxChunk, type OutboxRecord, toMessageBody } from "./outboxRecord.js";

export interface OutboxParameters {
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly partitions: number;
  readonly faults?: IngestFaultInjector;
}

export interface EnqueueReturnType {
  /** Records now on the queue. */
  readonly sent: number;
  /** Records SQS refused this time; they stay in the outbox for drainOutbox. */
  readonly unsent: number;
}

/** SendMessageBatch: 10 entries and 256 KiB per call. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 250 * 1024;

/**
 * Put outbox records on the FIFO queue, then delete the outbox entries (`chunks`) whose every event
 * is among those sent. Dedup id = eventId, so a record sent twice (a crash after the send, before the
 * delete; the sweeper racing the request) is one message within SQS's 5 minutes, and the processor drops
 * a later one by eventId. Never throws for SQS refusing: an unsent record's entry stays, and the sweeper
 * sends it. An entry whose range holds events not in `records` is left to the sweeper too.
 */
export async function enqueueOutbox(
  parameters: OutboxParameters,
  records: readonly OutboxRecord[],
  chunks: readonly OutboxChunk[] = [],
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
  const onQueue = new Set(sent.map((r) => `${r.stream}\n${r.sequence}`));
  const done = chunks.filter((c) => {
    for (let n = c.from; n <= c.to; n++) if (!onQueue.has(`${c.stream}\n${n}`)) return false;
    return true;
  });
  await deleteEntries(parameters, done);
  return { sent: sent.length, unsent: records.length - sent.length };
}

/**
 * Delete sent outbox entries, 25 to a BatchWriteItem: one item per sequencing transaction (≤ 48 events),
 * where marking each event item sent was one write per event, the request path's largest cost. What
 * stays (unprocessed twice, a failed call) is sent again by the sweeper and deduplicated by eventId.
 */
async function deleteEntries(parameters: OutboxParameters, chunks: readonly OutboxChunk[]): Promise<void> {
  const { ddb, tableName } = parameters;
  await Promise.all(
    chunk(chunks, { maxItems: 25 }).map(async (group) => {
      let requests = group.map((c) => {
        const k = ingestKeys.outbox(c.stream, c.from, c.atMs);
        return { DeleteRequest: { Key: { pk: { S: k.pk }, sk: { S: k.sk } } } };
      });
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
 * The outbox sweeper: re-send the events of every outbox entry older than the grace period (its request
 * crashed between the sequencing transaction and the send, or SQS refused), then delete the entry. The
 * entries are read with strong consistency; the events of each from the stream's own items. Run on a
 * schedule.
 */
export async function drainOutbox(parameters: DrainOutboxParameters): Promise<EnqueueReturnType> {
  const { ddb, tableName, graceSeconds, limit = 1000 } = parameters;
  const cutoff = (parameters.now ?? Date.now)() - graceSeconds * 1000;
  const chunks: OutboxChunk[] = [];
  let events = 0;
  for (let shard = 0; shard < OUTBOX_SHARDS && events < limit; shard++) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          // Sort keys start with seqKey(atMs): everything below seqKey(cutoff + 1) was written by cutoff.
          KeyConditionExpression: "pk = :pk AND sk < :bound",
          ExpressionAttributeValues: {
            ":pk": { S: ingestKeys.outboxShard(shard) },
            ":bound": { S: seqKey(cutoff + 1) },
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (events >= limit) break;
        const c = fromOutboxChunkItem(item);
        chunks.push(c);
        events += c.to - c.from + 1;
      }
      start = events < limit ? page.LastEvaluatedKey : undefined;
    } while (start);
  }
  const store = createEventStore({ ddb, tableName });
  const records: OutboxRecord[] = [];
  for (const c of chunks) records.push(...(await store.readRange(c.stream, c.from, c.to)));
  return enqueueOutbox(parameters, records, chunks);
}
