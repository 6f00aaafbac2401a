import type { Metrics } from "@aws-lambda-powertools/metrics";
import { type AttributeValue, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ThrottledError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { batchItemKey, StateTable, UNPROVEN_INDEX } from "../shared/tables.js";
import {
  afterWrite,
  BATCH_LIFECYCLE_ATTRIBUTES,
  type BatchLifecycleState,
  chainSamplesOf,
} from "./lifecycleMetrics.js";
import { toRetryableError } from "./toRetryableError.js";

/** The lifecycle steps of a rollup batch, each the L1 timestamp (epoch s) of the block it was seen in. */
export type LifecycleStep = "proposedAt" | "provedAt" | "verifiedAt";

export interface LifecycleUpdate {
  readonly batchId: number;
  readonly step: LifecycleStep;
  readonly at: number;
  /** Proposals only: the batch's L2 blocks, for the L2 block interval. */
  readonly l2?: { readonly lastBlockTimestamp: number; readonly blockCount: number };
}

export interface LifecycleStore {
  /**
   * Record the steps, one UpdateItem per batch item, in parallel. Safe to repeat. Throws a RetryableError
   * (ThrottledError when throttled) if any write failed; the writes that succeeded have emitted their metrics.
   */
  record(updates: readonly LifecycleUpdate[]): Promise<void>;
}

export interface CreateLifecycleStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  /** Receives the chain metrics each write completes (lifecycleMetrics.ts). @default none emitted */
  readonly metrics?: Pick<Metrics, "addMetric">;
}

/** The lifecycle step an event proves, or undefined for events that are not batch lifecycle steps. */
export function lifecycleUpdateOf(event: PipelineEvent): LifecycleUpdate | undefined {
  switch (event.type) {
    case "batch_proposed":
      return {
        batchId: event.batchId,
        step: "proposedAt",
        at: event.l1.timestamp,
        l2: { lastBlockTimestamp: event.lastBlockTimestamp, blockCount: event.blockCount },
      };
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
 * every update is commutative and monotonic: `SET a = if_not_exists(a, :v)` only ever fills a blank,
 * and applying the same updates in any order, any number of times, ends in the same item.
 * (When one step is observed twice — an L1 reorg moved the transaction — the first applied wins; both
 * timestamps are seconds apart, far below what the hour-scale prove/verify metrics can see.)
 *
 * A proposal also writes `next*` onto the previous batch's item, so consecutive proposals meet on one
 * item and the posting interval is computed there once. Each write returns the item as it was
 * (ALL_OLD): the chain metrics are emitted by the write that completes a pair (lifecycleMetrics.ts),
 * hence exactly once per batch, never per duplicate. A crash between write and metric flush loses
 * that sample (at most once); it never double-counts.
 *
 * Why UpdateItem and not one TransactWriteItems: only single-item writes return the old item, and they
 * cost 1 WCU instead of 2. Partial success is harmless: every write is idempotent.
 */
export function createLifecycleStore(parameters: CreateLifecycleStoreParameters): LifecycleStore {
  const { ddb, tableName, metrics } = parameters;

  async function write(batchId: number, written: BatchLifecycleState): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ":batchId": { N: String(batchId) } };
    const sets = ["batchId = if_not_exists(batchId, :batchId)"];
    let i = 0;
    for (const key of BATCH_LIFECYCLE_ATTRIBUTES) {
      const value = written[key];
      if (value === undefined) continue;
      names[`#a${i}`] = key;
      values[`:v${i}`] = { N: String(value) };
      sets.push(`#a${i} = if_not_exists(#a${i}, :v${i})`);
      i++;
    }
    // Membership of the unproven index: a proof or verification takes the batch out, a proposal puts it in.
    // (A proof applied before its proposal leaves a stale entry; the reader skips and clears it.)
    let remove = "";
    names["#u"] = UNPROVEN_INDEX.partitionKey;
    if (written.provedAt !== undefined || written.verifiedAt !== undefined) remove = " REMOVE #u";
    else if (written.proposedAt !== undefined) {
      values[":u"] = { S: UNPROVEN_INDEX.value };
      sets.push("#u = :u");
    } else delete names["#u"];
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [StateTable.partitionKey]: { S: batchItemKey(batchId) } },
        UpdateExpression: `SET ${sets.join(", ")}${remove}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_OLD",
      }),
    );
    const before = stateOf(out.Attributes);
    for (const sample of chainSamplesOf(before, afterWrite(before, written))) {
      metrics?.addMetric(sample.name, sample.unit, sample.value);
    }
  }

  async function record(updates: readonly LifecycleUpdate[]): Promise<void> {
    // One write per item; within one call the earliest observation of a step wins, so the merge
    // itself does not depend on record order.
    const byBatch = new Map<number, Partial<Record<keyof BatchLifecycleState, number>>>();
    const fill = (batchId: number, attrs: BatchLifecycleState, step: keyof BatchLifecycleState) => {
      const item = byBatch.get(batchId) ?? {};
      const seen = item[step];
      if (seen === undefined || (attrs[step] as number) < seen) Object.assign(item, attrs);
      byBatch.set(batchId, item);
    };
    for (const u of updates) {
      if (u.step !== "proposedAt" || u.l2 === undefined) {
        fill(u.batchId, { [u.step]: u.at }, u.step);
        continue;
      }
      const { lastBlockTimestamp, blockCount } = u.l2;
      fill(u.batchId, { proposedAt: u.at, lastBlockTs: lastBlockTimestamp, blockCount }, "proposedAt");
      if (u.batchId > 0) {
        const next = {
          nextProposedAt: u.at,
          nextLastBlockTs: lastBlockTimestamp,
          nextBlockCount: blockCount,
        };
        fill(u.batchId - 1, next, "nextProposedAt");
      }
    }
    const results = await Promise.allSettled([...byBatch].map(([batchId, item]) => write(batchId, item)));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failures.length === 0) return;
    const errors = failures.map((f) =>
      toRetryableError(f, "lifecycle update", { batchIds: [...byBatch.keys()] }),
    );
    // Report a throttle when there was one: the processor counts throttles by error type.
    throw errors.find((e) => e instanceof ThrottledError) ?? errors[0];
  }

  return { record };
}

function stateOf(item: Record<string, AttributeValue> | undefined): BatchLifecycleState {
  const state: Partial<Record<keyof BatchLifecycleState, number>> = {};
  for (const key of BATCH_LIFECYCLE_ATTRIBUTES) {
    const n = item?.[key]?.N;
    if (n !== undefined) state[key] = Number(n);
  }
  return state;
}
