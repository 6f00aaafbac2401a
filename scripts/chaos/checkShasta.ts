import { BatchGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { proposalSamplesOf } from "../../lambdas/processor/shastaLifecycleStore.js";
import { chunk } from "../../lambdas/shared/chunk.js";
import { ChainMetric } from "../../lambdas/shared/metricNames.js";
import { proposalItemKey, StateTable } from "../../lambdas/shared/tables.js";
import type { LocalPipeline } from "../pipeline/createLocalPipeline.js";
import type { VerifyReport } from "../pipeline/verifyAgainstChain.js";
import { checkNetChainMetrics } from "./checkWorld.js";

/** The Shasta tables the chain check must have compared whenever the devnet crossed the fork. */
export const SHASTA_TABLES = [
  "proposals",
  "proposal_sources",
  "proofs",
  "proposal_blocks",
  "bond_events",
  "inbox_activated",
  "forced_inclusions_saved",
] as const;

/**
 * The chaos seed's Shasta guarantees, beyond the table-by-table chain check every seed runs
 * (verifyShastaTables.ts, inside pipeline.verify()):
 *
 * - the seed really crossed the fork: when the devnet activated Shasta, each Shasta table that story
 *   always fills was compared with a non-empty expectation (a silently skipped fork would pass the
 *   chain check with zero rows on both sides);
 * - the Shasta lifecycle survived the faults and the reorgs: every observed proposal's `proposal#<id>`
 *   item has exactly the `proposedAt` / `finalizedAt` the canonical chain says (earliest canonical
 *   Proposed; earliest canonical Proved covering it as new; unset when only orphaned blocks carry it) —
 *   the alarms read these items, not the sink;
 * - its chain metrics, net of their retractions, are what those canonical steps give, once per proposal.
 */
export async function checkShasta(pipeline: LocalPipeline, verification: VerifyReport): Promise<string[]> {
  const activated = pipeline.devnet?.stats.shasta?.activatedInL1Block !== undefined;
  if (!activated) return [];
  const problems: string[] = [];
  for (const table of SHASTA_TABLES) {
    const check = verification.tables.find((t) => t.table === table);
    if (!check) problems.push(`Shasta: ${table} was not checked against the chain`);
    else if (check.expected === 0) problems.push(`Shasta: the chain holds no ${table} row after activation`);
  }
  problems.push(...(await checkLifecycle(pipeline)));
  return problems;
}

async function checkLifecycle(pipeline: LocalPipeline): Promise<string[]> {
  type Row = { id: number | bigint; t: number | bigint };
  // Every proposal ever observed (orphaned ones too), and the canonical earliest Proposed of each.
  const observed = await pipeline.sink.query<Row>(
    "SELECT proposal_id AS id, min(l1_block_ts) AS t FROM proposals WHERE proposal_id > 0 GROUP BY proposal_id",
  );
  const proposed = await pipeline.sink.query<Row>(
    "SELECT proposal_id AS id, min(l1_block_ts) AS t FROM canonical_proposals WHERE proposal_id > 0 GROUP BY proposal_id",
  );
  const proofs = await pipeline.sink.query<{ a: number | bigint; b: number | bigint; t: number | bigint }>(
    "SELECT first_new_proposal_id AS a, last_proposal_id AS b, l1_block_ts AS t FROM canonical_proofs",
  );
  // What the canonical chain says: proposedAt = earliest canonical Proposed, finalizedAt = earliest
  // canonical Proved covering the proposal as new; a proposal only in orphaned blocks has neither.
  const expected = new Map<number, { proposedAt?: number; finalizedAt?: number }>();
  const entry = (id: number) => expected.get(id) ?? expected.set(id, {}).get(id) ?? {};
  for (const r of proposed) entry(Number(r.id)).proposedAt = Number(r.t);
  for (const p of proofs) {
    for (let id = Math.max(1, Number(p.a)); id <= Number(p.b); id++) {
      const e = entry(id);
      if (e.finalizedAt === undefined || Number(p.t) < e.finalizedAt) e.finalizedAt = Number(p.t);
    }
  }
  const ids = observed.map((r) => Number(r.id));
  const items = await readProposalItems(
    pipeline.harness.ddb,
    pipeline.parts.resources.stateTable as string,
    ids,
  );
  const metrics = checkNetChainMetrics(
    pipeline.processorMetrics.samples,
    [ChainMetric.ShastaProposalsProposed, ChainMetric.ShastaTimeToFinalitySeconds],
    [...expected.values()].flatMap((e) => proposalSamplesOf(e)),
  );
  const wrong: string[] = [];
  for (const id of ids) {
    const want = expected.get(id) ?? {};
    const have = items.get(id) ?? {};
    for (const step of ["proposedAt", "finalizedAt"] as const) {
      if (want[step] !== have[step])
        wrong.push(`${id}.${step} ${have[step] ?? "unset"} (chain: ${want[step] ?? "unset"})`);
    }
  }
  return wrong.length === 0
    ? metrics
    : [
        `Shasta lifecycle: ${wrong.length} step(s) differ from the canonical chain (e.g. ${wrong.slice(0, 3).join("; ")})`,
        ...metrics,
      ];
}

async function readProposalItems(
  ddb: DynamoDBClient,
  tableName: string,
  ids: readonly number[],
): Promise<Map<number, { proposedAt?: number; finalizedAt?: number }>> {
  const out = new Map<number, { proposedAt?: number; finalizedAt?: number }>();
  for (const part of chunk(ids, { maxItems: 100 })) {
    let keys = part.map((id) => ({ [StateTable.partitionKey]: { S: proposalItemKey(id) } }));
    while (keys.length > 0) {
      const res = await ddb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[tableName] ?? []) {
        const id = Number(item.pk?.S?.split("#")[1]);
        const n = (k: string) => (item[k]?.N === undefined ? undefined : Number(item[k]?.N));
        out.set(id, { proposedAt: n("proposedAt"), finalizedAt: n("finalizedAt") });
      }
      keys = (res.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys;
    }
  }
  return out;
}
