import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { IngestUnavailableError } from "../api/errors.js";
import { backoffDelay } from "../shared/retry.js";
import { asDependencyThrottle } from "./dependencyThrottled.js";
import { ingestKeys, TTL_ATTRIBUTE } from "./ingestTable.js";
import {
  fromOutboxItem,
  type OutboxChunk,
  type OutboxRecord,
  toOutboxChunkItem,
  toOutboxItem,
} from "./outboxRecord.js";
import { type ReceiptSigner, signReceipt } from "./receipts.js";

/** One event of one stream, ready to be numbered. */
export interface SequenceRequest {
  readonly eventId: string;
  readonly eventType: string;
  readonly clientEventId: string;
  readonly payloadJson?: string;
  readonly payloadRef?: string;
  readonly payloadSha256: string;
  readonly payloadBytes: number;
  readonly schemaViolations: readonly string[];
}

export type SequenceOutcome =
  /**
   * Numbered by this call; `record` is the event to send, `chunk` the outbox entry of its transaction
   * (absent for a commit whose answer was lost: its entry is left to the sweeper).
   */
  | { readonly status: "accepted"; readonly record: OutboxRecord; readonly chunk?: OutboxChunk }
  /** Numbered before (another request, an earlier attempt): the first number, unchanged. */
  | {
      readonly status: "duplicate";
      readonly eventId: string;
      readonly sequence: number;
      readonly acceptedAt: string;
    };

export interface SequenceEventsParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly signer: ReceiptSigner;
  readonly idempotencyTtlSeconds: number;
  /** Rounds in which the head moved under us before giving up with IngestUnavailableError. */
  readonly attempts: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

/**
 * 2 items per event + the head + the outbox entry (+ the stream's registry entry on its first chunk)
 * ≤ TransactWriteItems' 100.
 */
export const EVENTS_PER_TRANSACTION = 48;
const BACKOFF = { baseDelayMs: 5, maxDelayMs: 200 };
/** Rounds in a row that DynamoDB throttled before the request is answered 503 with Retry-After. */
const THROTTLED_ROUNDS = 3;

/**
 * Give each event of ONE stream the next gap-free sequence number, exactly once.
 *
 * Per chunk, one TransactWriteItems: (a) put `idem#<eventId>` if absent, (b) put `ev#<stream>/<seq>`
 * (the event with its signed receipt), (c) move `head#<stream>` from the head we read to head + k, (d)
 * put one outbox entry for the chunk's range (deleted once it is on the queue). All or nothing, so the
 * invariant "ev item at n ⇔ head ≥ n" holds, no number is skipped or reused, and nothing numbered is
 * outside both the outbox and the queue. A number is never reserved apart from its event: there is no
 * step between "reserved" and "written" for a crash to leave a gap in.
 * On a cancelled transaction we read the idempotency records back: one that exists is a duplicate (the
 * same number as the first time); one that exists with OUR token is our own commit whose answer was
 * lost (still "accepted"); anything else means the head moved, and the chunk is renumbered.
 *
 * Why not a counter (UpdateItem ADD) then a put: a crash between them burns a number (a gap); the
 * transaction makes numbering and recording one step. Why not a sequence-number reservation per
 * request: concurrent duplicates of one clientEventId could both reserve. Contention on the head is
 * the price: one stream sequences one transaction at a time (~tens/s of transactions, ×48 events).
 */
export async function sequenceEvents(
  parameters: SequenceEventsParameters,
  stream: string,
  requests: readonly SequenceRequest[],
): Promise<Map<string, SequenceOutcome>> {
  const { ddb, tableName, attempts } = parameters;
  const now = parameters.now ?? Date.now;
  const sleep = parameters.sleep ?? sleepFor;
  const token = randomUUID();
  const outcomes = new Map<string, SequenceOutcome>();
  let pending = [...requests];
  let head: number | undefined;
  let mustReadBack = true; // first round: some may have been numbered by an earlier request
  let lastError: unknown;
  let throttledRounds = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= attempts) {
      // Throttled to the end: say so (503 naming DynamoDB, Retry-After), not that the head kept moving.
      const throttle = asDependencyThrottle(lastError);
      if (throttle) throw throttle;
      throw new IngestUnavailableError(`stream ${stream}: the head kept moving for ${attempts} attempts`, {
        field: "stream",
        context: { stream, unsequenced: pending.length },
      });
    }
    try {
      if (mustReadBack) {
        // Independent reads, in parallel: the head read after (or with) the records is still valid to
        // condition on — a head that moved meanwhile fails the transaction, which reads both again.
        [pending, head] = await Promise.all([
          readBack(ddb, tableName, pending, token, outcomes),
          readHead(ddb, tableName, stream),
        ]);
        mustReadBack = false;
        if (pending.length === 0) break;
      }
      const chunk = pending.slice(0, EVENTS_PER_TRANSACTION);
      const at = now();
      const records = chunk.map((r, i) => toRecord(parameters.signer, stream, (head ?? 0) + 1 + i, r, at));
      const entry: OutboxChunk = {
        stream,
        from: (head ?? 0) + 1,
        to: (head ?? 0) + records.length,
        atMs: at,
      };
      await ddb.send(transaction(parameters, entry, head ?? 0, records, token));
      for (const record of records)
        outcomes.set(record.eventId, { status: "accepted", record, chunk: entry });
      head = (head ?? 0) + records.length;
      pending = pending.slice(chunk.length);
    } catch (error) {
      // A malformed request is our bug: retrying cannot help.
      if (error instanceof Error && error.name === "ValidationException") throw error;
      // Throttled round after round (the SDK's own retries spent each time): answer 503 now rather than
      // add load; the client resends after Retry-After and gets the same numbers for what did commit.
      const throttle = asDependencyThrottle(error);
      throttledRounds = throttle ? throttledRounds + 1 : 0;
      if (throttle && throttledRounds >= THROTTLED_ROUNDS) throw throttle;
      lastError = error;
      // Cancelled (a duplicate, or the head moved), a transaction conflict, a throttle, or a lost answer:
      // everything is re-read, so whatever did commit is found and nothing is numbered twice.
      mustReadBack = true;
      await sleep(backoffDelay(Math.min(round + 1, 6), BACKOFF));
    }
  }
  return outcomes;
}

function toRecord(
  signer: ReceiptSigner,
  stream: string,
  sequence: number,
  r: SequenceRequest,
  at: number,
): OutboxRecord {
  const receipt = signReceipt(
    {
      stream,
      sequence,
      eventId: r.eventId,
      payloadSha256: r.payloadSha256,
      acceptedAt: new Date(at).toISOString(),
    },
    signer,
  );
  return {
    stream,
    sequence,
    eventId: r.eventId,
    eventType: r.eventType,
    clientEventId: r.clientEventId,
    ...(r.payloadJson === undefined ? {} : { payloadJson: r.payloadJson }),
    ...(r.payloadRef === undefined ? {} : { payloadRef: r.payloadRef }),
    payloadBytes: r.payloadBytes,
    receipt,
    schemaViolations: r.schemaViolations,
  };
}

function transaction(
  parameters: SequenceEventsParameters,
  entry: OutboxChunk,
  expectedHead: number,
  records: readonly OutboxRecord[],
  token: string,
): TransactWriteItemsCommand {
  const { tableName, idempotencyTtlSeconds } = parameters;
  const { stream, atMs: at } = entry;
  const key = (k: { pk: string; sk: string }) => ({ pk: { S: k.pk }, sk: { S: k.sk } });
  const newHead = expectedHead + records.length;
  return new TransactWriteItemsCommand({
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: key(ingestKeys.head(stream)),
          UpdateExpression: "SET head = :new, updatedAt = :at",
          // Invariant relied on: head is the highest sequence written; moving it only from what we read
          // makes concurrent writers serialize (the loser re-reads and renumbers).
          ConditionExpression: expectedHead === 0 ? "attribute_not_exists(head)" : "head = :old",
          ExpressionAttributeValues: {
            ":new": { N: String(newHead) },
            ":at": { N: String(at) },
            ...(expectedHead === 0 ? {} : { ":old": { N: String(expectedHead) } }),
          },
        },
      },
      { Put: { TableName: tableName, Item: toOutboxChunkItem(entry) } },
      // The stream's first events also list it in the registry the scheduled committer reads: keys scoped
      // to `*` may create streams no key names, and each must still be committed and anchored.
      ...(expectedHead === 0
        ? [
            {
              Put: {
                TableName: tableName,
                Item: { ...key(ingestKeys.streamEntry(stream)), createdAt: { N: String(at) } },
              },
            },
          ]
        : []),
      ...records.flatMap((r) => [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...key(ingestKeys.idempotency(r.eventId)),
              stream: { S: stream },
              clientEventId: { S: r.clientEventId },
              sequence: { N: String(r.sequence) },
              acceptedAt: { S: r.receipt.acceptedAt },
              token: { S: token },
              [TTL_ATTRIBUTE]: { N: String(Math.floor(at / 1000) + idempotencyTtlSeconds) },
            },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: toOutboxItem(r),
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
      ]),
    ],
  });
}

/** Consistent reads of the idempotency records: which of `pending` are numbered already. */
async function readBack(
  ddb: DynamoDBClient,
  tableName: string,
  pending: readonly SequenceRequest[],
  token: string,
  outcomes: Map<string, SequenceOutcome>,
): Promise<SequenceRequest[]> {
  const found = new Map<string, Record<string, AttributeValue>>();
  for (let i = 0; i < pending.length; i += 100) {
    let keys: Record<string, AttributeValue>[] = pending.slice(i, i + 100).map((r) => {
      const k = ingestKeys.idempotency(r.eventId);
      return { pk: { S: k.pk }, sk: { S: k.sk } };
    });
    while (keys.length > 0) {
      const out = await ddb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(item.pk?.S ?? "", item);
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  const stillPending: SequenceRequest[] = [];
  for (const r of pending) {
    const item = found.get(ingestKeys.idempotency(r.eventId).pk);
    if (!item) {
      stillPending.push(r);
      continue;
    }
    const sequence = Number(item.sequence?.N ?? "0");
    const acceptedAt = item.acceptedAt?.S ?? "";
    if (item.token?.S === token) {
      // Our own commit whose answer was lost: read the record back so it is sent and answered as accepted.
      const record = await readRecord(ddb, tableName, item.stream?.S ?? "", sequence);
      if (record) {
        outcomes.set(r.eventId, { status: "accepted", record });
        continue;
      }
    }
    outcomes.set(r.eventId, { status: "duplicate", eventId: r.eventId, sequence, acceptedAt });
  }
  return stillPending;
}

async function readRecord(ddb: DynamoDBClient, tableName: string, stream: string, sequence: number) {
  const k = ingestKeys.event(stream, sequence);
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: k.pk }, sk: { S: k.sk } },
      ConsistentRead: true,
    }),
  );
  return Item ? fromOutboxItem(Item) : undefined;
}

async function readHead(ddb: DynamoDBClient, tableName: string, stream: string): Promise<number> {
  const k = ingestKeys.head(stream);
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: k.pk }, sk: { S: k.sk } },
      ConsistentRead: true,
    }),
  );
  return Number(Item?.head?.N ?? "0");
}
