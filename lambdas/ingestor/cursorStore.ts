import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Hex } from "viem";
import { CursorConflictError, LeaseHeldError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";
import { StateTable } from "../shared/tables.js";

export interface RecentBlock {
  readonly number: number;
  readonly hash: Hex;
}

export interface Lease {
  readonly owner: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * Where a chain's ingestion stands. Invariant: `recent` is the canonical blocks
 * `next - recent.length … next - 1`, contiguous and linked by parent hash.
 */
export interface Cursor {
  /** First block not yet published; undefined before the first range (start from the configured block). */
  readonly next: number | undefined;
  readonly recent: readonly RecentBlock[];
  readonly lease: Lease | undefined;
  /**
   * Blocks published past `next` by an attempt that has not advanced the cursor (it crashed or lost its
   * lease after publishing). Any of them the chain no longer holds must be orphaned by the next poll:
   * no cursor remembers them otherwise, and a reorg of them would go unnoticed.
   */
  readonly pending?: readonly RecentBlock[];
  /**
   * The chain's reorg sequence: the `seq` of the last reorg event published (or about to be). Reserved by
   * `markPending`'s conditional write before the event goes out, so no two reorgs share a seq. @default 0
   */
  readonly reorgSeq?: number;
  /**
   * The highest block number ever published. A block re-read at or below it after a reorg may carry an
   * orphan mark from an earlier reorg, so it is published as restored too. @default next - 1
   */
  readonly highWater?: number;
}

export interface CursorAdvance {
  /** The `next` this update was computed from: the write fails if the cursor moved meanwhile. */
  readonly expectedNext: number | undefined;
  readonly next: number;
  /** The canonical blocks ending at `next - 1`; the store keeps the last RECENT_HASHES of them. */
  readonly recent: readonly RecentBlock[];
  /** Published blocks at or above `next` that stay pending (an earlier, wider attempt published them). */
  readonly pending?: readonly RecentBlock[];
  /** The highest block number ever published (the cursor's `highWater`). */
  readonly highWater?: number;
}

export interface PendingBlocks {
  readonly expectedNext: number | undefined;
  readonly pending: readonly RecentBlock[];
  /** Reserve this reorg sequence number with the same write (never lower than the stored one). */
  readonly reorgSeq?: number;
}

/** The cursor's persistence, behind an interface so tests may use an in-memory fake. */
export interface CursorStore {
  read(chain: Chain): Promise<Cursor>;
  /** Take the lease if free, expired or already ours. Throws LeaseHeldError naming the holder. */
  acquireLease(chain: Chain, owner: string, nowMs: number): Promise<Cursor>;
  /** Extend our lease. Throws LeaseHeldError if it is no longer ours. */
  renewLease(chain: Chain, owner: string, nowMs: number): Promise<Cursor>;
  /** Move the cursor (and extend the lease). Throws CursorConflictError unless we hold the lease and `next` is as expected. */
  advance(chain: Chain, owner: string, update: CursorAdvance, nowMs: number): Promise<Cursor>;
  /**
   * Record the blocks about to be published past `next` (merged with any still pending). Throws
   * CursorConflictError unless we hold the lease and `next` is as expected. `advance` keeps only those
   * it is given (the ones at or above its `next`).
   */
  markPending(chain: Chain, owner: string, update: PendingBlocks, nowMs: number): Promise<Cursor>;
  /** Give the lease up; a lease already lost is not an error. */
  release(chain: Chain, owner: string): Promise<void>;
}

export interface CreateDynamoCursorStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly leaseSeconds: number;
  readonly recentHashes: number;
  /** The item key per chain. A backfill keeps its own cursor beside the live one. @default cursorKey */
  readonly key?: (chain: Chain) => string;
}

export const cursorKey = (chain: Chain): string => `cursor#${chain}`;

const NAMES = {
  "#next": "next",
  "#recentFrom": "recentFrom",
  "#recentHashes": "recentHashes",
  "#owner": "leaseOwner",
  "#expires": "leaseExpiresAt",
  "#updated": "updatedAt",
  "#high": "highWater",
};
const PENDING = "pendingBlocks";
const REORG_SEQ = "reorgSeq";

/**
 * The cursor as the `cursor#<chain>` item of the state table. The recent hashes
 * are stored packed (32 bytes each, from block `recentFrom`): the item is
 * rewritten on every advance and write cost grows with its size.
 */
export function createDynamoCursorStore(parameters: CreateDynamoCursorStoreParameters): CursorStore {
  const { ddb, tableName, leaseSeconds, recentHashes } = parameters;
  const keyOf = parameters.key ?? cursorKey;
  const leaseMs = leaseSeconds * 1000;

  const update = async (
    chain: Chain,
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], "TableName" | "Key">,
  ) => {
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [StateTable.partitionKey]: { S: keyOf(chain) } },
        ReturnValues: "ALL_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        ...input,
      }),
    );
    return fromItem(out.Attributes);
  };

  const takeLease = async (chain: Chain, owner: string, nowMs: number, condition: string) => {
    try {
      return await update(chain, {
        UpdateExpression: "SET #owner = :owner, #expires = :expires, #updated = :now",
        ConditionExpression: condition,
        ExpressionAttributeNames: {
          "#owner": NAMES["#owner"],
          "#expires": NAMES["#expires"],
          "#updated": NAMES["#updated"],
        },
        ExpressionAttributeValues: {
          ":owner": { S: owner },
          ":expires": { N: String(nowMs + leaseMs) },
          ":now": { N: String(nowMs) },
        },
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const held = fromItem(error.Item).lease;
      throw new LeaseHeldError(
        `${keyOf(chain)} is leased to ${held?.owner ?? "another ingestor"} until ${held ? new Date(held.expiresAt).toISOString() : "unknown"}`,
        { cause: error, context: { chain, holder: held?.owner, expiresAt: held?.expiresAt } },
      );
    }
  };

  return {
    async read(chain) {
      const out = await ddb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { [StateTable.partitionKey]: { S: keyOf(chain) } },
          ConsistentRead: true,
        }),
      );
      return fromItem(out.Item);
    },

    acquireLease: (chain, owner, nowMs) =>
      takeLease(chain, owner, nowMs, "attribute_not_exists(#owner) OR #expires < :now OR #owner = :owner"),

    renewLease: (chain, owner, nowMs) => takeLease(chain, owner, nowMs, "#owner = :owner"),

    async advance(chain, owner, { expectedNext, next, recent, pending = [], highWater }, nowMs) {
      const kept = recent.slice(-recentHashes);
      assertContiguous(kept, next);
      const expected = expectedNext === undefined ? "attribute_not_exists(#next)" : "#next = :expected";
      const keep = pending.length > 0 ? ", #pending = :pending" : "";
      try {
        return await update(chain, {
          UpdateExpression: `SET #next = :next, #recentFrom = :from, #recentHashes = :hashes, #high = :high, #expires = :expires, #updated = :now${keep}${keep ? "" : " REMOVE #pending"}`,
          ConditionExpression: `#owner = :owner AND ${expected}`,
          ExpressionAttributeNames: { ...NAMES, "#pending": PENDING },
          ExpressionAttributeValues: {
            ":owner": { S: owner },
            ":next": { N: String(next) },
            ":from": { N: String(next - kept.length) },
            ":hashes": { B: packHashes(kept) },
            ":high": { N: String(Math.max(highWater ?? -1, next - 1)) },
            ...(keep ? { ":pending": packPending(pending) } : {}),
            ":expires": { N: String(nowMs + leaseMs) },
            ":now": { N: String(nowMs) },
            ...(expectedNext === undefined ? {} : { ":expected": { N: String(expectedNext) } }),
          },
        });
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const found = fromItem(error.Item);
        throw new CursorConflictError(
          `${keyOf(chain)} moved under us: expected next ${expectedNext ?? "(none)"} held by ${owner}, found next ${found.next ?? "(none)"} held by ${found.lease?.owner ?? "nobody"}`,
          {
            cause: error,
            context: { chain, expectedNext, found: { next: found.next, holder: found.lease?.owner } },
          },
        );
      }
    },

    async markPending(chain, owner, { expectedNext, pending, reorgSeq }, nowMs) {
      const expected = expectedNext === undefined ? "attribute_not_exists(#next)" : "#next = :expected";
      const seq = reorgSeq === undefined ? "" : ", #seq = :seq";
      try {
        return await update(chain, {
          UpdateExpression: `SET #pending = :pending, #updated = :now${seq}`,
          // A reserved seq only moves up: two writers can never hand out the same one.
          ConditionExpression: `#owner = :owner AND ${expected}${seq ? " AND (attribute_not_exists(#seq) OR #seq < :seq)" : ""}`,
          ExpressionAttributeNames: {
            "#pending": PENDING,
            "#owner": NAMES["#owner"],
            "#next": NAMES["#next"],
            "#updated": NAMES["#updated"],
            ...(seq ? { "#seq": REORG_SEQ } : {}),
          },
          ExpressionAttributeValues: {
            ":owner": { S: owner },
            ":pending": packPending(pending),
            ":now": { N: String(nowMs) },
            ...(seq ? { ":seq": { N: String(reorgSeq) } } : {}),
            ...(expectedNext === undefined ? {} : { ":expected": { N: String(expectedNext) } }),
          },
        });
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const found = fromItem(error.Item);
        throw new CursorConflictError(
          `${keyOf(chain)} moved under us before publishing: expected next ${expectedNext ?? "(none)"} held by ${owner}, found next ${found.next ?? "(none)"} held by ${found.lease?.owner ?? "nobody"}`,
          {
            cause: error,
            context: { chain, expectedNext, found: { next: found.next, holder: found.lease?.owner } },
          },
        );
      }
    },

    async release(chain, owner) {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { [StateTable.partitionKey]: { S: keyOf(chain) } },
            UpdateExpression: "REMOVE #owner, #expires",
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": NAMES["#owner"], "#expires": NAMES["#expires"] },
            ExpressionAttributeValues: { ":owner": { S: owner } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

/** Invariant relied on by the reorg walk-back: recent blocks are consecutive and end at next - 1. */
export function assertContiguous(recent: readonly RecentBlock[], next: number): void {
  recent.forEach((block, i) => {
    if (block.number !== next - recent.length + i) {
      throw new Error(
        `recent blocks must be consecutive and end at ${next - 1}; found ${block.number} at ${i}`,
      );
    }
  });
}

function packPending(pending: readonly RecentBlock[]): AttributeValue {
  return { S: JSON.stringify(pending.map((b) => [b.number, b.hash])) };
}

function packHashes(recent: readonly RecentBlock[]): Uint8Array {
  return Buffer.concat(recent.map((b) => Buffer.from(b.hash.slice(2), "hex")));
}

function fromItem(item: Record<string, AttributeValue> | undefined): Cursor {
  if (!item) return { next: undefined, recent: [], lease: undefined };
  const next = item.next?.N === undefined ? undefined : Number(item.next.N);
  const from = item.recentFrom?.N === undefined ? 0 : Number(item.recentFrom.N);
  const packed = item.recentHashes?.B ?? new Uint8Array();
  const recent: RecentBlock[] = [];
  for (let offset = 0; offset + 32 <= packed.length; offset += 32) {
    recent.push({
      number: from + offset / 32,
      hash: `0x${Buffer.from(packed.subarray(offset, offset + 32)).toString("hex")}`,
    });
  }
  const owner = item.leaseOwner?.S;
  const expires = item.leaseExpiresAt?.N;
  const pending = item[PENDING]?.S
    ? (JSON.parse(item[PENDING].S) as [number, Hex][]).map(([number, hash]) => ({ number, hash }))
    : [];
  const reorgSeq = item[REORG_SEQ]?.N;
  const highWater = item.highWater?.N;
  return {
    next,
    recent,
    ...(pending.length > 0 ? { pending } : {}),
    ...(reorgSeq === undefined ? {} : { reorgSeq: Number(reorgSeq) }),
    ...(highWater === undefined ? {} : { highWater: Number(highWater) }),
    lease: owner !== undefined && expires !== undefined ? { owner, expiresAt: Number(expires) } : undefined,
  };
}
