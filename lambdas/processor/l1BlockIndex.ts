import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { ReorgEvent } from "../shared/events.js";
import { l1BlockItemKey, StateTable } from "../shared/tables.js";

/** One reorg mark of an L1 block, as a reorg event carries it. */
export interface L1BlockMark {
  readonly blockHash: string;
  readonly blockNumber: number;
  /** The mark's place in the block's history (markOrderOf); odd when the mark orphans the block. */
  readonly order: number;
}

/**
 * A mark's place in its block's history as one integer: seq, then part, then orphaned over restored —
 * the same order as MARK_ORDER in lambdas/sink/canonicalViews.ts, so the lifecycle and the sink's
 * canonical views agree on which mark of a hash is the latest.
 */
export const markOrderOf = (seq: number, part: number, orphaned: boolean): number =>
  seq * 2097152 + part * 2 + (orphaned ? 1 : 0);

/** The L1 block marks a reorg event sets (none for L2 reorgs: lifecycle steps are L1 observations). */
export function l1MarksOf(event: ReorgEvent): L1BlockMark[] {
  if (event.chain !== "l1") return [];
  const seq = event.seq ?? 0;
  const part = event.part?.index ?? 0;
  const mark = (orphaned: boolean) => (b: { number: number; hash: string }) => ({
    blockHash: b.hash,
    blockNumber: b.number,
    order: markOrderOf(seq, part, orphaned),
  });
  return [...event.orphaned.map(mark(true)), ...(event.restored ?? []).map(mark(false))];
}

/** The set on an `l1block#<hash>` item that lists the ids of one lifecycle kind with steps in the block. */
export type BlockIndexAttribute = "batchIds" | "proposalIds";

const key = (blockHash: string) => ({ [StateTable.partitionKey]: { S: l1BlockItemKey(blockHash) } });

/**
 * Item `l1block#<hash>`: which batches (`batchIds`) and Shasta proposals (`proposalIds`) have steps
 * observed in the block, and its latest reorg mark (`markOrder`). An observation registers its item here
 * *before* it is stored on the item, so a reorg that marks the block afterwards finds it and recomputes it.
 */
export async function registerObservation(
  ddb: DynamoDBClient,
  tableName: string,
  block: { readonly blockHash: string; readonly blockNumber: number },
  ids: readonly number[],
  attribute: BlockIndexAttribute,
): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: key(block.blockHash),
      UpdateExpression: "SET blockNumber = if_not_exists(blockNumber, :n) ADD #ids :ids",
      ExpressionAttributeNames: { "#ids": attribute },
      ExpressionAttributeValues: {
        ":n": { N: String(block.blockNumber) },
        ":ids": { NS: [...new Set(ids)].map(String) },
      },
    }),
  );
}

/**
 * Record a mark when it is at least as late as the block's current one (equal: a replay, so the
 * recompute it triggers runs again, harmlessly). Returns the ids listed under `attribute` to recompute:
 * none when a later mark is already there (its own processing recomputes them).
 */
export async function applyMark(
  ddb: DynamoDBClient,
  tableName: string,
  mark: L1BlockMark,
  attribute: BlockIndexAttribute,
): Promise<number[]> {
  try {
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key(mark.blockHash),
        UpdateExpression: "SET markOrder = :o, blockNumber = if_not_exists(blockNumber, :n)",
        ConditionExpression: "attribute_not_exists(markOrder) OR markOrder <= :o",
        ExpressionAttributeValues: { ":o": { N: String(mark.order) }, ":n": { N: String(mark.blockNumber) } },
        ReturnValues: "ALL_NEW",
      }),
    );
    return (out.Attributes?.[attribute]?.NS ?? []).map(Number);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return [];
    throw error;
  }
}

/** The hashes among `blockHashes` whose latest mark orphans them (strongly consistent reads). */
export async function orphanedAmong(
  ddb: DynamoDBClient,
  tableName: string,
  blockHashes: readonly string[],
): Promise<Set<string>> {
  const orphaned = new Set<string>();
  const unique = [...new Set(blockHashes)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, AttributeValue>[] | undefined = unique.slice(i, i + 100).map(key);
    while (keys !== undefined && keys.length > 0) {
      const out: BatchGetItemCommandOutput = await ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of out.Responses?.[tableName] ?? []) {
        const order = item.markOrder?.N;
        const pk = item[StateTable.partitionKey]?.S;
        if (order !== undefined && Number(order) % 2 === 1 && pk)
          orphaned.add(pk.slice(l1BlockItemKey("").length));
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return orphaned;
}
