import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  type Address,
  createPublicClient,
  type Hex,
  http,
  type Log,
  type PublicClient,
  parseEventLogs,
} from "viem";
import {
  BATCH_LIFECYCLE_ATTRIBUTES,
  type BatchLifecycleState,
  chainSamplesOf,
} from "../../lambdas/processor/lifecycleMetrics.js";
import type { Chain } from "../../lambdas/shared/events.js";
import { inboxAbi } from "../../lambdas/shared/inboxAbi.js";
import { ChainMetric, ChainMetricRetracted, type ItemChainMetric } from "../../lambdas/shared/metricNames.js";
import { UNPROVEN_INDEX } from "../../lambdas/shared/tables.js";
import type { InjectedReorg } from "../devnet/createDevnet.js";
import { canonicalHashes, type QueryFn } from "../pipeline/verifyAgainstChain.js";

/**
 * The chaos checker's second half (issue #15): what the sink's reorg marks, the lifecycle state in
 * DynamoDB, the unproven index and the chain metrics say, each against the chain as the nodes hold it
 * now. Canonicity is the ReorgEventSchema's: a block hash's latest mark (by seq, then part) decides.
 */
export interface CheckWorldParameters {
  readonly nodeUrls: Readonly<Record<Chain, string>>;
  readonly inboxAddresses: readonly Address[];
  readonly ranges: Readonly<Record<Chain, { readonly from: number; readonly to: number }>>;
  readonly query: QueryFn;
  readonly ddb: DynamoDBClient;
  readonly stateTable: string;
  /** Every reorg the devnet injected (the only blocks that may ever carry an orphan mark). */
  readonly injectedReorgs: readonly InjectedReorg[];
  /** Every chain-metric value the processor emitted (the EMF the local run captured). */
  readonly chainSamples: readonly { readonly name: string; readonly value: number }[];
  /** Transactions of injected bad logs: never part of the expected state. */
  readonly excludedTxs?: ReadonlySet<string>;
}

export async function checkWorld(p: CheckWorldParameters): Promise<string[]> {
  const l1 = createPublicClient({
    transport: http(p.nodeUrls.l1, { batch: { batchSize: 200 } }),
  }) as PublicClient;
  const l2 = createPublicClient({
    transport: http(p.nodeUrls.l2, { batch: { batchSize: 200 } }),
  }) as PublicClient;
  const canonical = {
    l1: await canonicalHashes(l1, p.ranges.l1),
    l2: await canonicalHashes(l2, p.ranges.l2),
  };
  const lifecycle = await expectedLifecycle(l1, p);
  return [
    ...(await checkMarks(p, canonical)),
    ...(await checkLifecycleItems(p, lifecycle)),
    ...checkChainMetrics(p.chainSamples, lifecycle),
  ];
}

interface MarkRow {
  chain: Chain;
  n: number | bigint;
  h: string;
  seq: number | bigint;
  part: number | bigint;
  state: string;
}

/** The sink's marks, or (before block_marks existed) its orphaned_blocks rows as seq-0 orphan marks. */
async function readMarks(query: QueryFn): Promise<MarkRow[]> {
  try {
    return await query<MarkRow>(
      "SELECT chain, block_number AS n, block_hash AS h, seq, part, state FROM block_marks",
    );
  } catch {
    return query<MarkRow>(
      "SELECT chain, block_number AS n, block_hash AS h, 0 AS seq, 0 AS part, 'orphaned' AS state FROM orphaned_blocks",
    );
  }
}

/**
 * Every ingested block is hidden exactly when the chain no longer holds it (its latest mark); no block the
 * chain never dropped carries an orphan mark (a lagging provider is not a reorg); every reorg row marks
 * something.
 */
async function checkMarks(
  p: CheckWorldParameters,
  canonical: Record<Chain, Map<number, Hex>>,
): Promise<string[]> {
  const problems: string[] = [];
  const latest = new Map<string, MarkRow>();
  const everOrphaned = new Set(
    p.injectedReorgs.flatMap((r) => r.orphaned.map((o) => `${r.chain}:${o.hash}`)),
  );
  const marks = await readMarks(p.query);
  const falseOrphans: string[] = [];
  for (const m of marks) {
    const id = `${m.chain}:${m.h}`;
    if (m.state === "orphaned" && !everOrphaned.has(id))
      falseOrphans.push(`${m.chain} #${Number(m.n)} ${m.h}`);
    const seen = latest.get(id);
    const later =
      seen === undefined ||
      Number(m.seq) > Number(seen.seq) ||
      (Number(m.seq) === Number(seen.seq) && Number(m.part) > Number(seen.part));
    if (later) latest.set(id, m);
  }
  if (falseOrphans.length > 0)
    problems.push(
      `marks: ${falseOrphans.length} block(s) marked orphaned that the chain never dropped (e.g. ${falseOrphans.slice(0, 3).join("; ")})`,
    );
  for (const chain of ["l1", "l2"] as const) {
    const range = p.ranges[chain];
    const rows = await p.query<{ n: number | bigint; h: string }>(
      `SELECT DISTINCT ${chain}_block_number AS n, block_hash AS h FROM ${chain}_head_events WHERE ${chain}_block_number BETWEEN ${range.from} AND ${range.to}`,
    );
    const hidden: string[] = [];
    const shown: string[] = [];
    for (const r of rows) {
      const onChain = canonical[chain].get(Number(r.n))?.toLowerCase() === r.h;
      const orphaned = latest.get(`${chain}:${r.h}`)?.state === "orphaned";
      if (onChain && orphaned) hidden.push(`#${Number(r.n)} ${r.h}`);
      if (!onChain && !orphaned) shown.push(`#${Number(r.n)} ${r.h}`);
    }
    if (hidden.length > 0)
      problems.push(
        `marks: ${chain} ${hidden.length} canonical block(s) whose latest mark orphans them (e.g. ${hidden.slice(0, 3).join("; ")}); ${markHistory(marks, chain, hidden[0] as string, p.injectedReorgs)}`,
      );
    if (shown.length > 0)
      problems.push(
        `marks: ${chain} ${shown.length} block(s) off the chain whose latest mark does not orphan them (e.g. ${shown.slice(0, 3).join("; ")})`,
      );
  }
  const empty = await p.query<{ k: string }>(
    // NOT IN over a plain subquery: ClickHouse 18.16 has no correlated subqueries, DuckDB takes both.
    "SELECT event_key AS k FROM reorgs WHERE event_key NOT IN (SELECT reorg_key FROM block_marks)",
  );
  if (empty.length > 0)
    problems.push(
      `reorgs: ${empty.length} reorg row(s) that orphan and restore nothing (e.g. ${empty[0]?.k})`,
    );
  return problems;
}

/**
 * The evidence for one wrongly hidden block (`#n hash`): every mark at its height in seq order, and the
 * reorgs the world injected there, so a failing seed says how its marks came to be.
 */
function markHistory(
  marks: readonly MarkRow[],
  chain: Chain,
  block: string,
  injected: CheckWorldParameters["injectedReorgs"],
): string {
  const n = Number(block.slice(1, block.indexOf(" ")));
  const atHeight = marks
    .filter((m) => m.chain === chain && Number(m.n) === n)
    .sort((a, b) => Number(a.seq) - Number(b.seq) || Number(a.part) - Number(b.part))
    .map((m) => `seq ${Number(m.seq)}.${Number(m.part)} ${m.state} ${m.h.slice(0, 10)}`);
  const worlds = injected
    .filter((r) => r.chain === chain && r.orphaned.some((o) => Number(o.number) === n))
    .map((r) => r.orphaned.find((o) => Number(o.number) === n)?.hash.slice(0, 10));
  return `marks at #${n}: ${atHeight.join(", ") || "none"}; the world orphaned there: ${worlds.join(", ") || "nothing"}`;
}

/** One batch's lifecycle as the canonical chain tells it (the attributes lifecycleStore.ts writes). */
type Lifecycle = { -readonly [K in keyof BatchLifecycleState]: BatchLifecycleState[K] };

async function expectedLifecycle(l1: PublicClient, p: CheckWorldParameters): Promise<Map<number, Lifecycle>> {
  const logs = (await l1.getLogs({
    address: [...p.inboxAddresses],
    fromBlock: BigInt(p.ranges.l1.from),
    toBlock: BigInt(p.ranges.l1.to),
  })) as Log[];
  const kept = logs.filter((l) => !p.excludedTxs?.has((l.transactionHash as string).toLowerCase()));
  const blockNumbers = [...new Set(kept.map((l) => l.blockNumber as bigint))];
  const blocks = await Promise.all(blockNumbers.map((n) => l1.getBlock({ blockNumber: n })));
  const ts = new Map(blocks.map((b) => [b.number, Number(b.timestamp)]));
  const out = new Map<number, Lifecycle>();
  const item = (id: bigint) => {
    const key = Number(id);
    const found = out.get(key) ?? {};
    out.set(key, found);
    return found;
  };
  // Where a step is seen twice on the canonical chain, the earliest block counts.
  const first = (a: number | undefined, b: number) => (a === undefined ? b : Math.min(a, b));
  for (const log of parseEventLogs({ abi: inboxAbi, logs: kept })) {
    const at = ts.get(log.blockNumber as bigint) as number;
    switch (log.eventName) {
      case "BatchProposed": {
        const b = item(log.args.meta.batchId);
        b.proposedAt = first(b.proposedAt, at);
        b.lastBlockTs = Number(log.args.info.lastBlockTimestamp);
        b.blockCount = log.args.info.blocks.length;
        if (log.args.meta.batchId > 0n) {
          const prev = item(log.args.meta.batchId - 1n);
          prev.nextProposedAt = first(prev.nextProposedAt, at);
          prev.nextLastBlockTs = b.lastBlockTs;
          prev.nextBlockCount = b.blockCount;
        }
        break;
      }
      case "BatchesProved":
        for (const id of log.args.batchIds) item(id).provedAt = first(item(id).provedAt, at);
        break;
      case "BatchesVerified": {
        const b = item(log.args.batchId);
        b.verifiedAt = first(b.verifiedAt, at);
        break;
      }
    }
  }
  return out;
}

/** The state table's batch items and the unproven index against the canonical lifecycle. */
async function checkLifecycleItems(
  p: CheckWorldParameters,
  expected: Map<number, Lifecycle>,
): Promise<string[]> {
  const items = new Map<number, Record<string, AttributeValue>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await p.ddb.send(
      new ScanCommand({
        TableName: p.stateTable,
        FilterExpression: "begins_with(pk, :b)",
        ExpressionAttributeValues: { ":b": { S: "batch#" } },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of page.Items ?? []) items.set(Number(it.pk?.S?.slice("batch#".length)), it);
    start = page.LastEvaluatedKey;
  } while (start);
  const wrong: string[] = [];
  for (const id of new Set([...expected.keys(), ...items.keys()])) {
    const want = expected.get(id) ?? {};
    const got = items.get(id);
    for (const attr of BATCH_LIFECYCLE_ATTRIBUTES) {
      const g = got?.[attr]?.N === undefined ? undefined : Number(got[attr].N);
      if (g !== want[attr])
        wrong.push(`batch ${id} ${attr} ${g ?? "unset"}, chain says ${want[attr] ?? "unset"}`);
    }
  }
  const problems =
    wrong.length > 0
      ? [
          `lifecycle: ${wrong.length} attribute(s) differ from the chain (e.g. ${wrong.slice(0, 4).join("; ")})`,
        ]
      : [];
  // What `batch-not-proven` reads: index entries without a proof, against proposals without a canonical proof.
  const unproven = [...items]
    .filter(([, it]) => it[UNPROVEN_INDEX.partitionKey] !== undefined && !it.provedAt && !it.verifiedAt)
    .map(([id]) => id)
    .sort((a, b) => a - b);
  const wantUnproven = [...expected]
    .filter(([, l]) => l.proposedAt !== undefined && l.provedAt === undefined && l.verifiedAt === undefined)
    .map(([id]) => id)
    .sort((a, b) => a - b);
  if (unproven.join() !== wantUnproven.join())
    problems.push(
      `unproven index: holds [${unproven.join(", ")}], the chain says [${wantUnproven.join(", ")}]`,
    );
  return problems;
}

/** The Pacaya batch metrics (checkShasta.ts checks the Shasta proposals' with the same function). */
const BATCH_METRICS: readonly ItemChainMetric[] = [
  ChainMetric.BatchesProposed,
  ChainMetric.L2BlockIntervalSeconds,
  ChainMetric.BatchPostingIntervalSeconds,
  ChainMetric.BatchProveTimeSeconds,
  ChainMetric.BatchVerifyTimeSeconds,
];

function checkChainMetrics(
  samples: readonly { readonly name: string; readonly value: number }[],
  expected: ReadonlyMap<number, Lifecycle>,
): string[] {
  return checkNetChainMetrics(
    samples,
    BATCH_METRICS,
    [...expected.values()].flatMap((l) => chainSamplesOf(l)),
  );
}

/**
 * The chain metrics as CloudWatch holds them against those the canonical lifecycle gives (each item once):
 * per metric, the values emitted less those retracted (ChainMetricRetracted), as multisets. A retraction of
 * a value never emitted is a problem of its own (a net figure could otherwise hide it).
 */
export function checkNetChainMetrics(
  samples: readonly { readonly name: string; readonly value: number }[],
  names: readonly ItemChainMetric[],
  want: readonly { readonly name: string; readonly value: number }[],
): string[] {
  const problems: string[] = [];
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  for (const name of names) {
    const left = samples.filter((s) => s.name === name).map((s) => s.value);
    const retracted = samples.filter((s) => s.name === ChainMetricRetracted[name]).map((s) => s.value);
    const unmatched: number[] = [];
    for (const r of retracted) {
      const i = left.findIndex((v) => close(v, r));
      if (i < 0) unmatched.push(r);
      else left.splice(i, 1);
    }
    if (unmatched.length > 0)
      problems.push(
        `chain metric ${name}: ${unmatched.length} value(s) retracted that were never emitted (e.g. ${unmatched[0]})`,
      );
    const a = [...left].sort((x, y) => x - y);
    const b = want
      .filter((s) => s.name === name)
      .map((s) => s.value)
      .sort((x, y) => x - y);
    if (!(a.length === b.length && a.every((v, i) => close(v, b[i] as number))))
      problems.push(
        `chain metric ${name}: ${a.length} value(s) net of ${retracted.length} retraction(s) (sum ${sum(a)}), the chain gives ${b.length} (sum ${sum(b)})`,
      );
  }
  return problems;
}

const sum = (xs: readonly number[]) => Math.round(xs.reduce((s, x) => s + x, 0) * 1000) / 1000;
