import { BatchGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { chunk } from "../../lambdas/shared/chunk.js";
import { StateTable } from "../../lambdas/shared/tables.js";
import type { LocalPipeline } from "../pipeline/createLocalPipeline.js";
import type { VerifyReport } from "../pipeline/verifyAgainstChain.js";

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
 * - the Shasta lifecycle survived the faults: every canonical proposal has its `proposal#<id>` item
 *   with `proposedAt`, and every proposal a canonical Proved finalized as new has `finalizedAt` (the
 *   alarms read these items, not the sink).
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
  const proposed = await pipeline.sink.query<{ id: number | bigint }>(
    "SELECT DISTINCT proposal_id AS id FROM canonical_proposals WHERE proposal_id > 0",
  );
  const proofs = await pipeline.sink.query<{ a: number | bigint; b: number | bigint }>(
    "SELECT first_new_proposal_id AS a, last_proposal_id AS b FROM canonical_proofs",
  );
  const finalized = new Set<number>();
  for (const p of proofs) for (let id = Math.max(1, Number(p.a)); id <= Number(p.b); id++) finalized.add(id);
  const ids = proposed.map((r) => Number(r.id));
  const items = await readProposalItems(
    pipeline.harness.ddb,
    pipeline.parts.resources.stateTable as string,
    ids,
  );
  const problems: string[] = [];
  const noProposed = ids.filter((id) => items.get(id)?.proposedAt === undefined);
  const noFinalized = [...finalized].filter(
    (id) => ids.includes(id) && items.get(id)?.finalizedAt === undefined,
  );
  if (noProposed.length > 0)
    problems.push(
      `Shasta lifecycle: ${noProposed.length} proposal(s) without proposedAt (e.g. ${noProposed.slice(0, 3).join(", ")})`,
    );
  if (noFinalized.length > 0)
    problems.push(
      `Shasta lifecycle: ${noFinalized.length} finalized proposal(s) without finalizedAt (e.g. ${noFinalized.slice(0, 3).join(", ")})`,
    );
  return problems;
}

async function readProposalItems(
  ddb: DynamoDBClient,
  tableName: string,
  ids: readonly number[],
): Promise<Map<number, { proposedAt?: number; finalizedAt?: number }>> {
  const out = new Map<number, { proposedAt?: number; finalizedAt?: number }>();
  for (const part of chunk(ids, { maxItems: 100 })) {
    let keys = part.map((id) => ({ [StateTable.partitionKey]: { S: `proposal#${id}` } }));
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
