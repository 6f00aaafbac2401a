import type { Metrics } from "@aws-lambda-powertools/metrics";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { RetryableError, ThrottledError } from "../shared/errors.js";
import type { PipelineEvent, ReorgEvent } from "../shared/events.js";
import { batchItemKey, StateTable, UNPROVEN_INDEX } from "../shared/tables.js";
import { applyMark, l1MarksOf, orphanedAmong, registerObservation } from "./l1BlockIndex.js";
import { BATCH_LIFECYCLE_ATTRIBUTES, type BatchLifecycleState, chainSamplesOf } from "./lifecycleMetrics.js";
import {
  canonicalStateOf,
  isUnproven,
  observationAttribute,
  observationsOf,
  observationValue,
  type StepObservation,
} from "./lifecycleObservations.js";
import { toRetryableError } from "./toRetryableError.js";

/** The lifecycle steps of a rollup batch, each the L1 timestamp (epoch s) of the block it was seen in. */
export type LifecycleStep = "proposedAt" | "provedAt" | "verifiedAt";

export interface LifecycleUpdate {
  readonly batchId: number;
  readonly step: LifecycleStep;
  readonly at: number;
  /** The L1 block the step was observed in: a reorg that orphans it retracts the step. */
  readonly block: { readonly hash: string; readonly number: number };
  /** Proposals only: the batch's L2 blocks, for the L2 block interval. */
  readonly l2?: { readonly lastBlockTimestamp: number; readonly blockCount: number };
}

export interface LifecycleStore {
  /**
   * Record the steps, per batch item in parallel. Safe to repeat. Throws a RetryableError
   * (ThrottledError when throttled) if any write failed; the writes that succeeded have emitted their metrics.
   */
  record(updates: readonly LifecycleUpdate[]): Promise<void>;
  /** Apply the L1 marks of reorg events and recompute every batch with steps in those blocks. Safe to repeat. */
  reorg(events: readonly ReorgEvent[]): Promise<void>;
}

export interface CreateLifecycleStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  /** Receives the chain metrics each write completes (lifecycleMetrics.ts). @default none emitted */
  readonly metrics?: Pick<Metrics, "addMetric">;
}

/** The lifecycle step an event proves, or undefined for events that are not batch lifecycle steps. */
export function lifecycleUpdateOf(event: PipelineEvent): LifecycleUpdate | undefined {
  if (
    event.type !== "batch_proposed" &&
    event.type !== "batches_proved" &&
    event.type !== "batches_verified"
  ) {
    return undefined;
  }
  const base = {
    batchId: event.batchId,
    at: event.l1.timestamp,
    block: { hash: event.l1.blockHash, number: event.l1.blockNumber },
  };
  switch (event.type) {
    case "batch_proposed":
      return {
        ...base,
        step: "proposedAt",
        l2: { lastBlockTimestamp: event.lastBlockTimestamp, blockCount: event.blockCount },
      };
    case "batches_proved":
      return { ...base, step: "provedAt" };
    default:
      return { ...base, step: "verifiedAt" };
  }
}

const itemKey = (batchId: number) => ({ [StateTable.partitionKey]: { S: batchItemKey(batchId) } });

/** How often a recompute retries when another writer changed the item between its read and its write. */
const SETTLE_ATTEMPTS = 8;
/**
 * Lifecycle state in the state table, item `batch#<batchId>`, reorg-correct:
 * - every sighting of a step is kept on the item as an observation keyed by its L1 block
 *   (lifecycleObservations.ts), and the block's `l1block#<hash>` item lists the batch (l1BlockIndex.ts);
 * - the step attributes (`proposedAt`, `provedAt`, …) and the sparse unproven index are *derived*: each
 *   step is its earliest observation in a block whose latest reorg mark is not an orphan mark. A reorg
 *   event moves its blocks' marks forward and recomputes the batches listed there, so an orphaned proof
 *   puts the batch back into the unproven index and a restored one takes it out again.
 *
 * Concurrency (partitions run in parallel): every recompute reads the item, reads the marks of its
 * observations' blocks, and writes the derived state with a condition on the item's revision `rev`,
 * which every observation and every recompute bumps; a lost race re-reads and recomputes. An observation
 * registers in its block's index before it is stored, and a reorg moves the mark before it recomputes, so
 * whichever of the two comes second sees the other: the last successful write reflects every observation
 * and every mark. Replays rewrite the same observations and marks: the derived state does not change.
 *
 * Chain metrics (lifecycleMetrics.ts) come from the recompute that completes a pair, and each metric name
 * is added to the item's `emitted` set in that same conditional write, so a metric is emitted once per
 * batch, at its first canonical application. CloudWatch samples cannot be retracted: when a later reorg
 * orphans or moves a step, the sample already emitted stays as it was (off by the blocks' time difference
 * at most, or for a proof orphaned and never re-included, a prove time that did not hold); the item and
 * the unproven index are corrected, and batch-not-proven fires from them. A crash between write and
 * metric flush loses that sample (at most once); it never double-counts.
 *
 * A proposal also observes `nextProposedAt` on the previous batch's item, so consecutive proposals meet on
 * one item and the posting interval is computed there once.
 */
export function createLifecycleStore(parameters: CreateLifecycleStoreParameters): LifecycleStore {
  const { ddb, tableName, metrics } = parameters;

  /** Register the observations in their blocks' index, store them on the item, then recompute it. */
  async function observe(batchId: number, observations: readonly StepObservation[]): Promise<void> {
    const blocks = new Map(observations.map((o) => [o.blockHash, o.blockNumber]));
    await Promise.all(
      [...blocks].map(([blockHash, blockNumber]) =>
        registerObservation(ddb, tableName, { blockHash, blockNumber }, [batchId]),
      ),
    );
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ":batchId": { N: String(batchId) }, ":one": { N: "1" } };
    const sets = observations.map((o, i) => {
      names[`#o${i}`] = observationAttribute(o);
      values[`:o${i}`] = observationValue(o);
      return `#o${i} = :o${i}`;
    });
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: itemKey(batchId),
        UpdateExpression: `SET batchId = if_not_exists(batchId, :batchId), ${sets.join(", ")} ADD rev :one`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    await settle(batchId, out.Attributes);
  }

  /** Write the state the item's observations and their blocks' marks say now (see above). */
  async function settle(batchId: number, read?: Record<string, AttributeValue>): Promise<void> {
    let item = read;
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      item ??= (
        await ddb.send(
          new GetItemCommand({ TableName: tableName, Key: itemKey(batchId), ConsistentRead: true }),
        )
      ).Item;
      if (item === undefined) return; // nothing observed for this batch: nothing to derive
      const observations = observationsOf(item);
      const orphaned = await orphanedAmong(
        ddb,
        tableName,
        observations.map((o) => o.blockHash),
      );
      const current = stateOf(item);
      const next = canonicalStateOf(observations, (h) => orphaned.has(h), current);
      const emitted = new Set(item.emitted?.SS ?? []);
      const samples = chainSamplesOf(current, next).filter((s) => !emitted.has(s.name));
      const names = samples.map((s) => s.name);
      if (await writeState(ddb, tableName, batchId, item, next, names)) {
        for (const sample of samples) metrics?.addMetric(sample.name, sample.unit, sample.value);
        return;
      }
      item = undefined; // another writer got there first: read again
    }
    throw new RetryableError("lifecycle item kept changing during its recompute", { context: { batchId } });
  }

  async function record(updates: readonly LifecycleUpdate[]): Promise<void> {
    const byBatch = new Map<number, StepObservation[]>();
    const add = (batchId: number, o: StepObservation) =>
      byBatch.set(batchId, [...(byBatch.get(batchId) ?? []), o]);
    for (const u of updates) {
      const block = { blockHash: u.block.hash, blockNumber: u.block.number, timestamp: u.at };
      if (u.l2 === undefined) {
        add(u.batchId, { step: u.step, ...block });
        continue;
      }
      const l2 = { lastBlockTs: u.l2.lastBlockTimestamp, blockCount: u.l2.blockCount };
      add(u.batchId, { step: u.step, ...block, ...l2 });
      if (u.step === "proposedAt" && u.batchId > 0)
        add(u.batchId - 1, { step: "nextProposedAt", ...block, ...l2 });
    }
    await allWrites(
      [...byBatch].map(([batchId, observations]) => observe(batchId, observations)),
      "lifecycle update",
      [...byBatch.keys()],
    );
  }

  async function reorg(events: readonly ReorgEvent[]): Promise<void> {
    const marks = events.flatMap(l1MarksOf);
    if (marks.length === 0) return;
    const affected = new Set<number>();
    await allWrites(
      marks.map(async (mark) => {
        for (const batchId of await applyMark(ddb, tableName, mark)) affected.add(batchId);
      }),
      "lifecycle reorg mark",
      [],
    );
    await allWrites(
      [...affected].map((batchId) => settle(batchId)),
      "lifecycle reorg recompute",
      [...affected],
    );
  }

  return { record, reorg };
}

/** The conditional write of a derived state; false when the item's revision moved since it was read. */
async function writeState(
  ddb: DynamoDBClient,
  tableName: string,
  batchId: number,
  item: Record<string, AttributeValue>,
  next: BatchLifecycleState,
  newlyEmitted: readonly string[],
): Promise<boolean> {
  const rev = Number(item.rev?.N ?? 0);
  const names: Record<string, string> = { "#u": UNPROVEN_INDEX.partitionKey };
  const values: Record<string, AttributeValue> = {
    ":rev": { N: String(rev) },
    ":next": { N: String(rev + 1) },
  };
  const sets = ["rev = :next"];
  const removes: string[] = [];
  BATCH_LIFECYCLE_ATTRIBUTES.forEach((attribute, i) => {
    names[`#a${i}`] = attribute;
    const value = next[attribute];
    if (value === undefined) removes.push(`#a${i}`);
    else {
      values[`:v${i}`] = { N: String(value) };
      sets.push(`#a${i} = :v${i}`);
    }
  });
  if (isUnproven(next)) {
    values[":u"] = { S: UNPROVEN_INDEX.value };
    sets.push("#u = :u");
  } else removes.push("#u");
  let expression = `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`;
  if (newlyEmitted.length > 0) {
    values[":emitted"] = { SS: [...newlyEmitted] };
    expression += " ADD emitted :emitted";
  }
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: itemKey(batchId),
        UpdateExpression: expression,
        // A missing rev reads as 0: an item written before revisions were kept.
        ConditionExpression: "attribute_not_exists(rev) OR rev = :rev",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Wait for every write; throw one RetryableError (a throttle when there was one) if any failed. */
async function allWrites(
  writes: readonly Promise<void>[],
  what: string,
  batchIds: readonly number[],
): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length === 0) return;
  const errors = failures.map((f) => toRetryableError(f, what, { batchIds }));
  // Report a throttle when there was one: the processor counts throttles by error type.
  throw errors.find((e) => e instanceof ThrottledError) ?? errors[0];
}

function stateOf(item: Record<string, AttributeValue> | undefined): BatchLifecycleState {
  const state: Partial<Record<keyof BatchLifecycleState, number>> = {};
  for (const key of BATCH_LIFECYCLE_ATTRIBUTES) {
    const n = item?.[key]?.N;
    if (n !== undefined) state[key] = Number(n);
  }
  return state;
}
