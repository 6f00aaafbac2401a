import { randomUUID } from "node:crypto";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { RetryableError, ThrottledError } from "../shared/errors.js";
import type { ReorgEvent } from "../shared/events.js";
import { StateTable, UNPROVEN_INDEX } from "../shared/tables.js";
import { ledgerChange, METRICS_EMITTED_ATTRIBUTE } from "./chainSampleLedger.js";
import {
  applyMark,
  type BlockIndexAttribute,
  l1MarksOf,
  orphanedAmong,
  registerObservation,
} from "./l1BlockIndex.js";
import type { ChainSample } from "./lifecycleMetrics.js";
import {
  canonicalStateOf,
  type DerivedSteps,
  type LifecycleState,
  observationAttribute,
  observationsOf,
  observationValue,
  type StepObservation,
} from "./lifecycleObservations.js";
import { toRetryableError } from "./toRetryableError.js";

/**
 * What distinguishes one kind of lifecycle item (Pacaya batches, Shasta proposals) from another: the
 * rest — observations keyed by L1 block, the block index, recompute on reorg marks, the conditional
 * write, metrics once per item — is the same machinery (createObservedLifecycle).
 */
export interface LifecycleKind<A extends string> {
  /** Names the kind in errors and logs ("lifecycle", "Shasta lifecycle"). */
  readonly what: string;
  /** The item's key in the state table (`batch#<id>`, `proposal#<id>`). */
  readonly itemKey: (id: number) => string;
  /** The attribute holding the id on the item (`batchId`, `proposalId`). */
  readonly idAttribute: string;
  /** The set on `l1block#<hash>` items that lists this kind's ids (l1BlockIndex.ts). */
  readonly blockIndexAttribute: BlockIndexAttribute;
  /** Each observed step and the attributes it derives (time first). */
  readonly derived: DerivedSteps<A>;
  /** Every derived attribute: a derived state without one removes it from the item. */
  readonly attributes: readonly A[];
  /** The UNPROVEN_INDEX partition value while the item waits (for a proof, a finalization); else undefined. */
  readonly pendingIn: (state: LifecycleState<A>) => string | undefined;
  /** The chain metrics a derived state gives, each name at most once (what CloudWatch holds for the item). */
  readonly samplesOf: (state: LifecycleState<A>) => ChainSample[];
}

export interface ObservedLifecycle {
  /**
   * For each item, register its observations in their blocks' index, store them on the item, then
   * recompute it; items in parallel. Safe to repeat. Throws a RetryableError (ThrottledError when
   * throttled) if any write failed; the writes that succeeded have emitted their metrics.
   */
  observe(byId: ReadonlyMap<number, readonly StepObservation[]>): Promise<void>;
  /** Apply the L1 marks of reorg events and recompute every item of this kind with steps in those blocks. */
  reorg(events: readonly ReorgEvent[]): Promise<void>;
}

export interface CreateObservedLifecycleParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly metrics?: Pick<Metrics, "addMetric">;
  /** Items written at once by one `observe` (an aggregated proof can finalize many proposals). @default all */
  readonly concurrency?: number;
}

/** How often a recompute retries when another writer changed the item between its read and its write. */
const SETTLE_ATTEMPTS = 8;

/** The item attribute naming the latest state writes (token → revision it wrote), to recognise one's own. */
export const RECENT_WRITES_ATTRIBUTE = "recentWrites";
/** State writes remembered: a writer whose answer was lost finds its token unless this many came after it. */
const RECENT_WRITES_KEPT = 16;

/**
 * Reorg-correct lifecycle items in the state table:
 * - every sighting of a step is kept on the item as an observation keyed by its L1 block
 *   (lifecycleObservations.ts), and the block's `l1block#<hash>` item lists the item's id (l1BlockIndex.ts);
 * - the step attributes and the sparse unproven index entry are *derived*: each step is its earliest
 *   observation in a block whose latest reorg mark is not an orphan mark. A reorg event moves its blocks'
 *   marks forward and recomputes the items listed there, so an orphaned proof puts the item back into
 *   the index and a restored one takes it out again.
 *
 * Concurrency (partitions run in parallel): every recompute reads the item, reads the marks of its
 * observations' blocks, and writes the derived state with a condition on the item's revision `rev`,
 * which every observation and every recompute bumps; a lost race re-reads and recomputes. An observation
 * registers in its block's index before it is stored, and a reorg moves the mark before it recomputes, so
 * whichever of the two comes second sees the other: the last successful write reflects every observation
 * and every mark. Replays rewrite the same observations and marks: the derived state does not change.
 * Each kind applies a reorg's marks itself (a second kind's application of the same mark is a replay of
 * equal order, which succeeds and returns that kind's ids), so the kinds stay independent.
 *
 * Chain metrics follow the derived state too. The item keeps a ledger of the value each of its metrics
 * stands at in CloudWatch (chainSampleLedger.ts), written in the same conditional write as the state; a
 * recompute that changes a value (a proof orphaned, or re-included in a later block) emits the old value
 * under the metric's retraction name and the new one under its own, so each metric net of its retractions
 * is what the canonical chain gives, once per item. A state write whose answer was lost (the SDK's retry
 * then fails the revision check, or every attempt fails) is recognised by its token on the item, so its
 * writer still emits its points. A crash between the write and the metric flush loses those points (at
 * most once); they are never added twice.
 */
export function createObservedLifecycle<A extends string>(
  kind: LifecycleKind<A>,
  parameters: CreateObservedLifecycleParameters,
): ObservedLifecycle {
  const { ddb, tableName, metrics } = parameters;
  const key = (id: number) => ({ [StateTable.partitionKey]: { S: kind.itemKey(id) } });

  async function observeOne(id: number, observations: readonly StepObservation[]): Promise<void> {
    const blocks = new Map(observations.map((o) => [o.blockHash, o.blockNumber]));
    await Promise.all(
      [...blocks].map(([blockHash, blockNumber]) =>
        registerObservation(ddb, tableName, { blockHash, blockNumber }, [id], kind.blockIndexAttribute),
      ),
    );
    const names: Record<string, string> = { "#id": kind.idAttribute };
    const values: Record<string, AttributeValue> = { ":id": { N: String(id) }, ":one": { N: "1" } };
    const sets = observations.map((o, i) => {
      names[`#o${i}`] = observationAttribute(o);
      values[`:o${i}`] = observationValue(o);
      return `#o${i} = :o${i}`;
    });
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key(id),
        UpdateExpression: `SET #id = if_not_exists(#id, :id), ${sets.join(", ")} ADD rev :one`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    await settle(id, out.Attributes);
  }

  /** Write the state the item's observations and their blocks' marks say now (see above). */
  async function settle(id: number, read?: Record<string, AttributeValue>): Promise<void> {
    let item = read;
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      item ??= (
        await ddb.send(new GetItemCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }))
      ).Item;
      if (item === undefined) return; // nothing observed for this id: nothing to derive
      const observations = observationsOf(item);
      const orphaned = await orphanedAmong(
        ddb,
        tableName,
        observations.map((o) => o.blockHash),
      );
      const current = stateOf(kind.attributes, item);
      const next = canonicalStateOf(kind.derived, observations, (h) => orphaned.has(h), current);
      const { points, ledger } = ledgerChange(item, kind.samplesOf(next), () => kind.samplesOf(current));
      const pendingIn = kind.pendingIn(next);
      const write = { tableName, key: key(id), item, next, pendingIn, ledger, token: randomUUID() };
      if (await writeState(ddb, kind.attributes, write)) {
        for (const p of points) metrics?.addMetric(p.name, p.unit, p.value);
        return;
      }
      item = undefined; // another writer got there first: read again
    }
    throw new RetryableError(`${kind.what} item kept changing during its recompute`, { context: { id } });
  }

  async function observe(byId: ReadonlyMap<number, readonly StepObservation[]>): Promise<void> {
    const entries = [...byId];
    const step = Math.max(1, parameters.concurrency ?? entries.length);
    const writes: Promise<void>[] = [];
    // A chunk at a time; every chunk runs even when one failed (allWrites then reports the failure).
    for (let i = 0; i < entries.length; i += step) {
      const chunk = entries.slice(i, i + step).map(([id, observations]) => observeOne(id, observations));
      await Promise.allSettled(chunk);
      writes.push(...chunk);
    }
    await allWrites(writes, `${kind.what} update`, [...byId.keys()]);
  }

  async function reorg(events: readonly ReorgEvent[]): Promise<void> {
    const marks = events.flatMap(l1MarksOf);
    if (marks.length === 0) return;
    const affected = new Set<number>();
    await allWrites(
      marks.map(async (mark) => {
        for (const id of await applyMark(ddb, tableName, mark, kind.blockIndexAttribute)) affected.add(id);
      }),
      `${kind.what} reorg mark`,
      [],
    );
    await allWrites(
      [...affected].map((id) => settle(id)),
      `${kind.what} reorg recompute`,
      [...affected],
    );
  }

  return { observe, reorg };
}

interface StateWrite<A extends string> {
  readonly tableName: string;
  readonly key: Record<string, AttributeValue>;
  readonly item: Record<string, AttributeValue>;
  readonly next: LifecycleState<A>;
  /** The index partition value to list the item under, or undefined to take it out. */
  readonly pendingIn: string | undefined;
  /** The chain-metric ledger that goes with `next` (chainSampleLedger.ts). */
  readonly ledger: AttributeValue;
  /** Names this write among the item's recent writes (RECENT_WRITES_ATTRIBUTE). */
  readonly token: string;
}

/**
 * The conditional write of a derived state; false when the item's revision moved since it was read (and
 * the write is not found among the item's recent writes: an applied write whose answer was lost is true).
 */
async function writeState<A extends string>(
  ddb: DynamoDBClient,
  attributes: readonly A[],
  w: StateWrite<A>,
): Promise<boolean> {
  const rev = Number(w.item.rev?.N ?? 0);
  const names: Record<string, string> = {
    "#u": UNPROVEN_INDEX.partitionKey,
    "#m": METRICS_EMITTED_ATTRIBUTE,
    "#w": RECENT_WRITES_ATTRIBUTE,
  };
  const values: Record<string, AttributeValue> = {
    ":rev": { N: String(rev) },
    ":next": { N: String(rev + 1) },
    ":m": w.ledger,
    ":w": recentWritesWith(w.item, w.token, rev + 1),
  };
  const sets = ["rev = :next", "#m = :m", "#w = :w"];
  const removes: string[] = [];
  attributes.forEach((attribute, i) => {
    names[`#a${i}`] = attribute;
    const value = w.next[attribute];
    if (value === undefined) removes.push(`#a${i}`);
    else {
      values[`:v${i}`] = { N: String(value) };
      sets.push(`#a${i} = :v${i}`);
    }
  });
  if (w.pendingIn !== undefined) {
    values[":u"] = { S: w.pendingIn };
    sets.push("#u = :u");
  } else removes.push("#u");
  const expression = `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`;
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: w.tableName,
        Key: w.key,
        UpdateExpression: expression,
        // A missing rev reads as 0: an item written before revisions were kept.
        ConditionExpression: "attribute_not_exists(rev) OR rev = :rev",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return true;
  } catch (error) {
    const found = error instanceof ConditionalCheckFailedException ? error.Item : undefined;
    if (await wroteIt(ddb, w, found).catch(() => false)) return true;
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The item's recent writes, the oldest beyond RECENT_WRITES_KEPT dropped, with this one added. */
function recentWritesWith(item: Record<string, AttributeValue>, token: string, rev: number): AttributeValue {
  const kept = Object.entries(item[RECENT_WRITES_ATTRIBUTE]?.M ?? {})
    .filter(([, v]) => Number(v.N) > rev - RECENT_WRITES_KEPT)
    .map(([t, v]) => [t, v] as const);
  return { M: Object.fromEntries([...kept, [token, { N: String(rev) }]]) };
}

/** Whether the item (as a failed write returned it, else read consistently) lists this write's token. */
async function wroteIt<A extends string>(
  ddb: DynamoDBClient,
  w: StateWrite<A>,
  returned: Record<string, AttributeValue> | undefined,
): Promise<boolean> {
  const item =
    returned ??
    (await ddb.send(new GetItemCommand({ TableName: w.tableName, Key: w.key, ConsistentRead: true }))).Item;
  return item?.[RECENT_WRITES_ATTRIBUTE]?.M?.[w.token] !== undefined;
}

/** Wait for every write; throw one RetryableError (a throttle when there was one) if any failed. */
async function allWrites(
  writes: readonly Promise<void>[],
  what: string,
  ids: readonly number[],
): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length === 0) return;
  const errors = failures.map((f) => toRetryableError(f, what, { ids }));
  // Report a throttle when there was one: the processor counts throttles by error type.
  throw errors.find((e) => e instanceof ThrottledError) ?? errors[0];
}

function stateOf<A extends string>(
  attributes: readonly A[],
  item: Record<string, AttributeValue> | undefined,
): LifecycleState<A> {
  const state: Partial<Record<A, number>> = {};
  for (const attribute of attributes) {
    const n = item?.[attribute]?.N;
    if (n !== undefined) state[attribute] = Number(n);
  }
  return state;
}
