import {
  type DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { PipelineEvent } from "../shared/events.js";
import { toRetryableError } from "./toRetryableError.js";

/** The lifecycle steps of a rollup batch, each the L1 timestamp (epoch s) of the block it was seen in. */
export type LifecycleStep = "proposedAt" | "provedAt" | "verifiedAt";

export interface LifecycleUpdate {
  readonly batchId: number;
  readonly step: LifecycleStep;
  readonly at: number;
}

export interface LifecycleStore {
  /**
   * Record the steps in one round trip. Throws a RetryableError (ThrottledError when throttled);
   * all-or-nothing, and safe to repeat.
   */
  record(updates: readonly LifecycleUpdate[]): Promise<void>;
}

export interface CreateLifecycleStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
}

/** TransactWriteItems accepts at most 100 actions per call. */
const MAX_ACTIONS = 100;

/** The lifecycle step an event proves, or undefined for events that are not batch lifecycle steps. */
export function lifecycleUpdateOf(event: PipelineEvent): LifecycleUpdate | undefined {
  switch (event.type) {
    case "batch_proposed":
      return { batchId: event.batchId, step: "proposedAt", at: event.l1.timestamp };
    case "batches_proved":
      return { batchId: event.batchId, step: "provedAt", at: event.l1.timestamp };
    case "batches_verified":
      return { batchId: event.batchId, step: "verifiedAt", at: event.l1.timestamp };
    default:
      return undefined;
  }
}

/**
 * Lifecycle state in the state table, item `batch#<batchId>`. Partitions are processed in parallel, so
 * every update is commutative and monotonic: `SET step = if_not_exists(step, :at)` only ever fills a
 * blank, and applying the same updates in any order, any number of times, ends in the same item.
 * (When one step is observed twice — an L1 reorg moved the transaction — the first applied wins; both
 * timestamps are seconds apart, far below what the hour-scale prove/verify metrics can see.)
 *
 * Why TransactWriteItems: it is the only single round trip that can upsert several items with update
 * expressions (PartiQL UPDATE never creates an item, BatchWriteItem cannot update). It costs 2 WCU per
 * item, paid only by inbox lifecycle events, a small share of the stream.
 */
export function createLifecycleStore(parameters: CreateLifecycleStoreParameters): LifecycleStore {
  const { ddb, tableName } = parameters;

  async function record(updates: readonly LifecycleUpdate[]): Promise<void> {
    // One action per item: a transaction may not touch the same item twice.
    const byBatch = new Map<number, Map<LifecycleStep, number>>();
    for (const u of updates) {
      const steps = byBatch.get(u.batchId) ?? new Map<LifecycleStep, number>();
      const seen = steps.get(u.step);
      // Within one call the earliest wins, so the merge itself does not depend on record order.
      steps.set(u.step, seen === undefined ? u.at : Math.min(seen, u.at));
      byBatch.set(u.batchId, steps);
    }
    const actions: TransactWriteItem[] = [...byBatch].map(([batchId, steps]) => {
      const names: Record<string, string> = {};
      const values: Record<string, { N: string }> = { ":batchId": { N: String(batchId) } };
      const sets = ["batchId = if_not_exists(batchId, :batchId)"];
      [...steps].forEach(([step, at], i) => {
        names[`#s${i}`] = step;
        values[`:v${i}`] = { N: String(at) };
        sets.push(`#s${i} = if_not_exists(#s${i}, :v${i})`);
      });
      return {
        Update: {
          TableName: tableName,
          Key: { pk: { S: `batch#${batchId}` } },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      };
    });
    for (let i = 0; i < actions.length; i += MAX_ACTIONS) {
      try {
        await ddb.send(new TransactWriteItemsCommand({ TransactItems: actions.slice(i, i + MAX_ACTIONS) }));
      } catch (error) {
        throw toRetryableError(error, "lifecycle update", { batchIds: [...byBatch.keys()] });
      }
    }
  }

  return { record };
}
