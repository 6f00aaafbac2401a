import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { RetryableError } from "../../shared/errors.js";
import type { Chain } from "../../shared/events.js";
import { backoffDelay } from "../../shared/retry.js";
import { StateTable, TTL_ATTRIBUTE } from "../../shared/tables.js";
import type { EventLog, StreamEvent } from "./EventLog.js";

/** One event the processor applied, with the observation id that makes appending it idempotent. */
export interface EventLogEntry {
  readonly observationId: string;
  readonly type: string;
  readonly chain?: Chain;
  readonly key: string;
  readonly payload: unknown;
}

export interface DynamoEventLog extends EventLog {
  /**
   * Appends the entries not appended before (by observation id), each with the next sequence number;
   * returns how many were new. All of one call's entries, their seq numbers and the head move in one
   * transaction, so the log never holds a hole a reader would have to wait out.
   */
  append(entries: readonly EventLogEntry[]): Promise<number>;
}

/** A position a client resumes from that the log no longer holds (its entries expired). */
export class EventLogPositionExpiredError extends RetryableError {
  override readonly name = "EventLogPositionExpiredError";
}

export interface CreateDynamoEventLogParameters {
  readonly ddb: DynamoDBClient;
  /** The state table (partition key `pk`): the log lives there under `log#…` keys. */
  readonly tableName: string;
  /** Entries and their dedup markers expire after this many days (DynamoDB TTL). @default 7 */
  readonly retentionDays?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Item keys in the state table. `log#head` holds the highest seq; `log#<seq>` one entry; `logobs#<id>` its dedup marker. */
export const EVENT_LOG_KEYS = {
  head: "log#head",
  entry: (seq: number) => `log#${seq}`,
  observation: (observationId: string) => `logobs#${observationId}`,
} as const;

// TransactWriteItems takes at most 100 items: the head plus two per entry.
const ENTRIES_PER_TRANSACTION = 49;
// BatchGetItem takes at most 100 keys.
const READ_PAGE = 100;
const APPEND_ATTEMPTS = 12;
// A seq at or below the head is written in the head's own transaction: missing for longer than this, it expired.
const EXPIRED_AFTER_MS = 10_000;
/** Entries bigger than this are logged without their payload (a claim-checked API payload keeps its payloadRef). */
const MAX_PAYLOAD_CHARS = 64 * 1024;

/**
 * The stream's event log in DynamoDB: one gap-free sequence for every canonical event the processor
 * applied. Appending is an optimistic transaction over the head (`SET head = h + n IF head = h`),
 * the entries and one marker per observation id (`IF attribute_not_exists`): a record the processor
 * re-applies after a crash or a claim takeover is refused by its marker, so it gets no second seq.
 */
export function createDynamoEventLog(p: CreateDynamoEventLogParameters): DynamoEventLog {
  const { ddb, tableName } = p;
  const now = p.now ?? Date.now;
  const retentionSeconds = (p.retentionDays ?? 7) * 24 * 3600;
  const pk = StateTable.partitionKey;

  async function readHead(): Promise<{ head: number; at: number }> {
    const { Item } = await ddb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [pk]: { S: EVENT_LOG_KEYS.head } },
        ConsistentRead: true,
      }),
    );
    return { head: Number(Item?.head?.N ?? 0), at: Number(Item?.appendedAt?.N ?? 0) };
  }

  function transaction(head: number, entries: readonly EventLogEntry[]): TransactWriteItem[] {
    const appendedAt = now();
    const ttl = { N: String(Math.floor(appendedAt / 1000) + retentionSeconds) };
    const next = head + entries.length;
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: tableName,
          Item: {
            [pk]: { S: EVENT_LOG_KEYS.head },
            head: { N: String(next) },
            appendedAt: { N: String(appendedAt) },
          },
          ...(head === 0
            ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": pk } }
            : {
                ConditionExpression: "head = :head",
                ExpressionAttributeValues: { ":head": { N: String(head) } },
              }),
        },
      },
    ];
    entries.forEach((e, i) => {
      const seq = head + i + 1;
      items.push(
        {
          Put: {
            TableName: tableName,
            Item: {
              [pk]: { S: EVENT_LOG_KEYS.observation(e.observationId) },
              seq: { N: String(seq) },
              [TTL_ATTRIBUTE]: ttl,
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": pk },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              [pk]: { S: EVENT_LOG_KEYS.entry(seq) },
              seq: { N: String(seq) },
              event: { S: encodeEntry(seq, appendedAt, e) },
              appendedAt: { N: String(appendedAt) },
              [TTL_ATTRIBUTE]: ttl,
            },
          },
        },
      );
    });
    return items;
  }

  /** One transaction's worth; entries refused by their marker are dropped and the rest retried. */
  async function appendChunk(chunk: readonly EventLogEntry[]): Promise<number> {
    let pending = dedupe(chunk);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { head } = await readHead();
      try {
        await ddb.send(new TransactWriteItemsCommand({ TransactItems: transaction(head, pending) }));
        return pending.length;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw asRetryable(error);
        const reasons = error.CancellationReasons ?? [];
        // Item 1 + 2i is entry i's marker: ConditionalCheckFailed there means it is in the log already.
        const known = new Set(
          pending.flatMap((_, i) => (reasons[1 + 2 * i]?.Code === "ConditionalCheckFailed" ? [i] : [])),
        );
        pending = pending.filter((_, i) => !known.has(i));
        if (known.size === 0 && attempt >= APPEND_ATTEMPTS) {
          throw new RetryableError("event log append kept conflicting with other writers", {
            cause: error,
            context: { attempts: attempt, entries: pending.length },
          });
        }
        // Another writer moved the head (or the transaction conflicted): back off a little, then retry.
        if (known.size === 0) await sleep(backoffDelay(attempt, { baseDelayMs: 10, maxDelayMs: 500 }));
      }
    }
    return 0;
  }

  return {
    async append(entries) {
      let added = 0;
      for (let i = 0; i < entries.length; i += ENTRIES_PER_TRANSACTION) {
        added += await appendChunk(entries.slice(i, i + ENTRIES_PER_TRANSACTION));
      }
      return added;
    },
    async head() {
      return (await readHead()).head;
    },
    async read(after, limit) {
      const { head, at } = await readHead();
      const last = Math.min(head, after + Math.min(limit, READ_PAGE));
      if (last <= after) return [];
      const found = await batchGetEntries(ddb, tableName, after + 1, last);
      const events: StreamEvent[] = [];
      // Only the contiguous run after `after`: never skip a seq a client would then miss.
      for (let seq = after + 1; seq <= last; seq++) {
        const e = found.get(seq);
        if (e === undefined) break;
        events.push(e);
      }
      if (events.length === 0 && now() - at > EXPIRED_AFTER_MS) {
        throw new EventLogPositionExpiredError(`the log no longer holds the events after ${after}`, {
          context: { after, head },
        });
      }
      return events;
    },
  };
}

/** Entries of one call with the same observation id are appended once. */
function dedupe(entries: readonly EventLogEntry[]): EventLogEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.observationId) && seen.add(e.observationId));
}

function encodeEntry(seq: number, appendedAt: number, e: EventLogEntry): string {
  const chain = e.chain ? { chain: e.chain } : {};
  const event: StreamEvent = { seq, type: e.type, ...chain, key: e.key, payload: e.payload, appendedAt };
  const text = JSON.stringify(event);
  if (text.length <= MAX_PAYLOAD_CHARS) return text;
  const payload = e.payload as { payload?: unknown } | null;
  return JSON.stringify({ ...event, payload: { ...payload, payload: undefined, payloadOmitted: true } });
}

async function batchGetEntries(
  ddb: DynamoDBClient,
  tableName: string,
  from: number,
  to: number,
): Promise<Map<number, StreamEvent>> {
  const pk = StateTable.partitionKey;
  let keys: Record<string, AttributeValue>[] = [];
  for (let seq = from; seq <= to; seq++) keys.push({ [pk]: { S: EVENT_LOG_KEYS.entry(seq) } });
  const found = new Map<number, StreamEvent>();
  for (let attempt = 1; keys.length > 0; attempt++) {
    const out = await ddb.send(
      new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const item of out.Responses?.[tableName] ?? []) {
      const text = item.event?.S;
      if (text !== undefined) found.set(Number(item.seq?.N), JSON.parse(text) as StreamEvent);
    }
    keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    if (keys.length > 0) await sleep(backoffDelay(attempt, { baseDelayMs: 20, maxDelayMs: 1000 }));
  }
  return found;
}

function asRetryable(error: unknown): RetryableError {
  if (error instanceof RetryableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RetryableError(`event log append failed: ${message}`, { cause: error });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
