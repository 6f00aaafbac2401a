import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { CursorConflictError } from "../shared/errors.js";
import type { Chain } from "../shared/events.js";
import { StateTable } from "../shared/tables.js";
import { cursorFenceCheck, cursorKey, packHashes, unpackHashes } from "./cursorStore.js";
import type { HashItem, HashItemStore } from "./publishedHashes.js";

export interface CreateDynamoHashItemsParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
}

/** The item of one ring slot: under the cursor's key prefix, so the ingestor's `cursor#*` keys cover it. */
export const publishedHashesKey = (chain: Chain, slot: number): string =>
  `${cursorKey(chain)}#hashes#${slot}`;

/**
 * Published-hash items in the state table (publishedHashes.ts): hashes packed 32 bytes each. A write
 * goes in one transaction with a check that the writer still holds the chain's cursor, so an ingestor
 * that lost its lease cannot overwrite what the current one recorded.
 */
export function createDynamoHashItems({ ddb, tableName }: CreateDynamoHashItemsParameters): HashItemStore {
  return {
    async get(chain, slots) {
      const out: HashItem[] = [];
      // BatchGetItem takes at most 100 keys; what it leaves unprocessed is asked for again.
      for (let i = 0; i < slots.length; i += 100) {
        let keys = slots.slice(i, i + 100).map((slot) => ({
          [StateTable.partitionKey]: { S: publishedHashesKey(chain, slot) },
        }));
        while (keys.length > 0) {
          const answer = await ddb.send(
            new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
          );
          for (const item of answer.Responses?.[tableName] ?? []) out.push(fromItem(item));
          keys = (answer.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys;
        }
      }
      return out;
    },

    async put(chain, slot, item, fence) {
      try {
        await ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { ConditionCheck: cursorFenceCheck(tableName, cursorKey(chain), fence) },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    [StateTable.partitionKey]: { S: publishedHashesKey(chain, slot) },
                    itemIndex: { N: String(item.index) },
                    blocksPerItem: { N: String(item.blocksPerItem) },
                    hashesFrom: { N: String(item.from) },
                    hashes: { B: packHashes(item.hashes) },
                  },
                },
              },
            ],
          }),
        );
      } catch (error) {
        const fenced = error instanceof TransactionCanceledException;
        if (!fenced || error.CancellationReasons?.[0]?.Code !== "ConditionalCheckFailed") throw error;
        throw new CursorConflictError(
          `${cursorKey(chain)} moved under us before recording published hashes: expected next ${fence.expectedNext ?? "(none)"} held by ${fence.owner}`,
          { cause: error, context: { chain, expectedNext: fence.expectedNext } },
        );
      }
    },
  };
}

function fromItem(item: Record<string, AttributeValue>): HashItem {
  return {
    index: Number(item.itemIndex?.N ?? -1),
    blocksPerItem: Number(item.blocksPerItem?.N ?? 0),
    from: Number(item.hashesFrom?.N ?? 0),
    hashes: unpackHashes(item.hashes?.B ?? new Uint8Array()),
  };
}
