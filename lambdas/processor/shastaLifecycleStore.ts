import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { type AttributeValue, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ThrottledError } from "../shared/errors.js";
import type { PipelineEvent } from "../shared/events.js";
import { ChainMetric } from "../shared/metricNames.js";
import { UNPROVEN_INDEX } from "../shared/tables.js";
import { toRetryableError } from "./toRetryableError.js";

/**
 * Lifecycle state of Shasta proposals, beside the Pacaya batches' (lifecycleStore.ts), in the same
 * state table: item `proposal#<id>`. A proposal is proposed, then finalized by the first Proved that
 * covers it as new (first_new_proposal_id ≤ id ≤ last_proposal_id): proving finalizes at once in
 * Shasta (Inbox.prove @ taiko-mono b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b), so there is no separate
 * verification step. The genesis proposal 0 (activate()) is finalized by activation: not tracked.
 *
 * Same rules as the Pacaya lifecycle: partitions run in parallel, so every write is commutative and
 * monotonic (`if_not_exists` only fills blanks; the first applied observation wins, as there), and a
 * metric is emitted by the one write (ALL_OLD) that completes its pair — once per proposal, never per
 * duplicate. Unlike the Pacaya lifecycle (lifecycleStore.ts, which recomputes on reorg marks) it does
 * not see reorgs yet: the canonical, reorg-exact figures are the sink's (lambdas/queries/shastaMetrics.ts);
 * this state feeds the alarms fast.
 *
 * Unfinalized proposals sit in the Pacaya `unproven` sparse index under their own partition value
 * (`proposal`), sorted by proposedAt, so "oldest unfinalized proposal" needs no new index; the item
 * key (`proposal#<id>`) is projected, the other attributes are not (the index projects Pacaya's).
 */

export interface ShastaLifecycleUpdate {
  readonly proposalId: number;
  readonly step: "proposedAt" | "finalizedAt";
  /** L1 timestamp (epoch s) of the block the Proposed / Proved was seen in. */
  readonly at: number;
}

/** The partition value of unfinalized Shasta proposals in UNPROVEN_INDEX. */
export const UNFINALIZED_PROPOSAL = "proposal";

/** The lifecycle steps an event records: a Proposed one, a Proved one per newly finalized proposal. */
export function shastaLifecycleUpdatesOf(event: PipelineEvent): ShastaLifecycleUpdate[] {
  switch (event.type) {
    case "shasta_proposed":
      return event.proposalId === 0
        ? []
        : [{ proposalId: event.proposalId, step: "proposedAt", at: event.l1.timestamp }];
    case "shasta_proved": {
      const out: ShastaLifecycleUpdate[] = [];
      for (let id = Math.max(1, event.firstNewProposalId); id <= event.lastProposalId; id++) {
        out.push({ proposalId: id, step: "finalizedAt", at: event.l1.timestamp });
      }
      return out;
    }
    default:
      return [];
  }
}

export interface ShastaLifecycleStore {
  /** Records the steps, one UpdateItem per proposal, `concurrency` at a time. Safe to repeat. Throws a RetryableError if any failed. */
  record(updates: readonly ShastaLifecycleUpdate[]): Promise<void>;
}

export interface CreateShastaLifecycleStoreParameters {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly metrics?: Pick<Metrics, "addMetric">;
  /** UpdateItems in flight at once (an aggregated proof can finalize many proposals). @default 16 */
  readonly concurrency?: number;
}

interface ProposalState {
  proposedAt?: number;
  finalizedAt?: number;
}

export function createShastaLifecycleStore(
  parameters: CreateShastaLifecycleStoreParameters,
): ShastaLifecycleStore {
  const { ddb, tableName, metrics } = parameters;
  const concurrency = Math.max(1, parameters.concurrency ?? 16);

  async function write(proposalId: number, written: ProposalState): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ":id": { N: String(proposalId) } };
    const sets = ["proposalId = if_not_exists(proposalId, :id)"];
    for (const key of ["proposedAt", "finalizedAt"] as const) {
      const value = written[key];
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = { N: String(value) };
      sets.push(`#${key} = if_not_exists(#${key}, :${key})`);
    }
    // A finalization takes the proposal out of the unfinalized index, a proposal puts it in; a proposal applied
    // after its finalization takes itself out again below, so the index never lists a finalized proposal.
    names["#u"] = UNPROVEN_INDEX.partitionKey;
    let remove = "";
    if (written.finalizedAt !== undefined) remove = " REMOVE #u";
    else {
      values[":u"] = { S: UNFINALIZED_PROPOSAL };
      sets.push("#u = :u");
    }
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `proposal#${proposalId}` } },
        UpdateExpression: `SET ${sets.join(", ")}${remove}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_OLD",
      }),
    );
    const before: ProposalState = {
      proposedAt: numberOf(out.Attributes?.proposedAt),
      finalizedAt: numberOf(out.Attributes?.finalizedAt),
    };
    if (before.finalizedAt !== undefined && written.finalizedAt === undefined) {
      // Per-item writes are serialized: this one saw the finalization, so no later write will remove #u.
      await ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: `proposal#${proposalId}` } },
          UpdateExpression: "REMOVE #u",
          ExpressionAttributeNames: { "#u": UNPROVEN_INDEX.partitionKey },
        }),
      );
    }
    const after: ProposalState = {
      proposedAt: before.proposedAt ?? written.proposedAt,
      finalizedAt: before.finalizedAt ?? written.finalizedAt,
    };
    if (before.proposedAt === undefined && after.proposedAt !== undefined) {
      metrics?.addMetric(ChainMetric.ShastaProposalsProposed, MetricUnit.Count, 1);
    }
    const wasComplete = before.proposedAt !== undefined && before.finalizedAt !== undefined;
    if (!wasComplete && after.proposedAt !== undefined && after.finalizedAt !== undefined) {
      const seconds = after.finalizedAt - after.proposedAt;
      // A negative span only comes from inconsistent input: not a duration.
      if (seconds >= 0)
        metrics?.addMetric(ChainMetric.ShastaTimeToFinalitySeconds, MetricUnit.Seconds, seconds);
    }
  }

  async function record(updates: readonly ShastaLifecycleUpdate[]): Promise<void> {
    // One write per item; within one call the earliest observation of a step wins (order-independent merge).
    const byProposal = new Map<number, ProposalState>();
    for (const u of updates) {
      const item = byProposal.get(u.proposalId) ?? {};
      const seen = item[u.step];
      if (seen === undefined || u.at < seen) item[u.step] = u.at;
      byProposal.set(u.proposalId, item);
    }
    const entries = [...byProposal];
    const failures: unknown[] = [];
    for (let i = 0; i < entries.length; i += concurrency) {
      const results = await Promise.allSettled(
        entries.slice(i, i + concurrency).map(([id, item]) => write(id, item)),
      );
      for (const r of results) if (r.status === "rejected") failures.push(r.reason);
    }
    if (failures.length === 0) return;
    const errors = failures.map((f) =>
      toRetryableError(f, "Shasta lifecycle update", { proposalIds: entries.map(([id]) => id) }),
    );
    throw errors.find((e) => e instanceof ThrottledError) ?? errors[0];
  }

  return { record };
}

const numberOf = (v: AttributeValue | undefined): number | undefined =>
  v?.N === undefined ? undefined : Number(v.N);
