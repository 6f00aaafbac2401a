import type { Address } from "viem";
import { toNumber, toNumberOrNull } from "../../lambdas/api/sqlDialect.js";
import { type SinkSummary, summarizeSink } from "../../lambdas/queries/sinkSummary.js";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import type { VerifyReport } from "../pipeline/verifyAgainstChain.js";
import {
  countOf,
  unmarkedCountOf,
  type VerifyInWindowsParameters,
  verifyInWindows,
} from "./verifyInWindows.js";

export interface VerifySinkParameters {
  readonly sink: SqlQueryable;
  readonly l1Url: string;
  readonly l2Url: string;
  readonly inboxAddresses: readonly Address[];
  /** With a Shasta fork: its tables are checked too. */
  readonly network?: TaikoNetwork;
  /** Inclusive ranges to compare with the chain. @default what the sink holds (min..max of canonical headers) */
  readonly l1Range?: { from?: number; to?: number };
  readonly l2Range?: { from?: number; to?: number };
  /** A proposed batch with no proof after this long (chain time) is a finding. @default 3 h, the batch-not-proven alarm's */
  readonly unprovenAfterSeconds?: number;
  /** How the chain is read: window size, progress, checkpoint (verifyInWindows.ts). */
  readonly windows?: Pick<
    VerifyInWindowsParameters,
    "windowBlocks" | "onProgress" | "checkpointFile" | "examples"
  >;
}

/** One thing an operator has to act on. */
export interface Finding {
  readonly kind:
    | "gap"
    | "missing"
    | "duplicate"
    | "unexpected-canonical"
    | "orphan-unmarked"
    | "several-headers-per-number"
    | "unproven-batch";
  readonly table: string;
  readonly count: number;
  /** Up to 10 examples (block numbers, keys). */
  readonly examples: readonly string[];
  /** What to do about it. */
  readonly action: string;
}

export interface VerifySinkReport {
  readonly ok: boolean;
  readonly ranges: { readonly l1: { from: number; to: number }; readonly l2: { from: number; to: number } };
  readonly findings: readonly Finding[];
  readonly chain: VerifyReport;
  readonly summary: SinkSummary;
  readonly unprovenBatches: readonly { batchId: number; proposedAt: number; ageSeconds: number }[];
}

const EXAMPLES = 10;

/**
 * Continuity and uniqueness of the sink, checked two ways: against the chain read back over RPC
 * (verifyAgainstChain: missing, duplicated, wrongly canonical rows, unmarked orphans) and on its own
 * (sinkSummary: header gaps, duplicate keys), plus batches proposed and never proved past the threshold.
 * Every finding says what to run next.
 */
export async function verifySink(p: VerifySinkParameters): Promise<VerifySinkReport> {
  const summary = await summarizeSink(p.sink);
  const held = (chain: "l1" | "l2") => {
    const h = summary.headers.find((x) => x.chain === chain);
    return { from: h?.minBlock ?? 0, to: h?.maxBlock ?? -1 };
  };
  // A bound left out is what the sink holds at that end (`--from 0` checks from genesis to the sink's last block).
  const range = (c: "l1" | "l2") => ({
    from: p[`${c}Range`]?.from ?? held(c).from,
    to: p[`${c}Range`]?.to ?? held(c).to,
  });
  const ranges = { l1: range("l1"), l2: range("l2") };
  const chain = await verifyInWindows({
    ...p.windows,
    l1Url: p.l1Url,
    l2Url: p.l2Url,
    inboxAddresses: p.inboxAddresses,
    network: p.network,
    l1Range: ranges.l1,
    l2Range: ranges.l2,
    query: (sql) => p.sink.query(sql),
  });
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    if (f.count > 0) findings.push({ ...f, examples: f.examples.slice(0, EXAMPLES) });
  };
  const backfill = (chainName: string, examples: readonly string[]) => {
    const numbers = examples.map((e) => Number(/#?(\d+)/.exec(e)?.[1])).filter(Number.isFinite);
    return numbers.length > 0
      ? `tidemark backfill --chain ${chainName} --from ${Math.min(...numbers)} --to ${Math.max(...numbers)}`
      : `tidemark backfill --chain ${chainName} over the range`;
  };

  for (const h of summary.headers) {
    const inRange = h.gaps.filter((g) => g.to >= ranges[h.chain].from && g.from <= ranges[h.chain].to);
    add({
      kind: "gap",
      table: h.table,
      count: inRange.reduce((n, g) => n + g.to - g.from + 1, 0),
      examples: inRange.map((g) => `${g.from}..${g.to}`),
      action: inRange[0]
        ? `tidemark backfill --chain ${h.chain} --from ${inRange[0].from} --to ${inRange.at(-1)?.to}`
        : "",
    });
    add({
      kind: "several-headers-per-number",
      table: h.table,
      count: h.numbersWithSeveralHeaders,
      examples: [],
      action: `a reorg the sink was not told about: backfill ${h.chain} over the affected blocks so the ingestor publishes the reorg`,
    });
  }
  for (const t of chain.tables) {
    const chainName = t.table.startsWith("l2_") ? "l2" : "l1";
    add({
      kind: "missing",
      table: t.table,
      count: countOf(t, "missing"),
      examples: t.missing,
      action: backfill(chainName, t.missing),
    });
    add({
      kind: "duplicate",
      table: t.table,
      count: countOf(t, "duplicates"),
      examples: t.duplicates,
      action:
        "rows counted twice by dashboards: the sink's insert-or-ignore was bypassed; delete the extra rows and open an issue",
    });
    add({
      kind: "unexpected-canonical",
      table: t.table,
      count: countOf(t, "unexpected"),
      examples: t.unexpected,
      action: `rows shown as canonical that the chain does not hold: ${backfill(chainName, t.unexpected)} so the reorg is published`,
    });
  }
  for (const t of summary.tables) {
    if (chain.tables.some((c) => c.table === t.table && countOf(c, "duplicates") > 0)) continue;
    add({
      kind: "duplicate",
      table: t.table,
      count: t.duplicateCanonicalRows,
      examples: t.duplicateKeys,
      action: "rows counted twice by dashboards: delete the extra rows and open an issue",
    });
  }
  for (const c of ["l1", "l2"] as const) {
    add({
      kind: "orphan-unmarked",
      table: `${c}_head_events`,
      count: unmarkedCountOf(chain.orphans[c]),
      examples: chain.orphans[c].unmarked,
      action: `blocks off the canonical chain still counted: ${backfill(c, chain.orphans[c].unmarked)}`,
    });
  }

  const threshold = p.unprovenAfterSeconds ?? 3 * 3600;
  const unprovenBatches = await unprovenBatchesOf(p.sink, threshold);
  add({
    kind: "unproven-batch",
    table: "batches",
    count: unprovenBatches.length,
    examples: unprovenBatches.map((b) => `batch ${b.batchId} (${Math.round(b.ageSeconds / 60)} min)`),
    action: `no proof after ${Math.round(threshold / 60)} min of chain time: check the provers; if the chain has the proof, tidemark backfill --chain l1 over its block`,
  });
  return { ok: findings.length === 0, ranges, findings, chain, summary, unprovenBatches };
}

/**
 * Batches proposed more than `thresholdSeconds` of chain time before the newest L1 header and never
 * proved. Two plain statements, no CTE: ClickHouse 18.16 has none, and DuckDB and Athena run the same text.
 */
export async function unprovenBatchesOf(
  sink: SqlQueryable,
  thresholdSeconds: number,
): Promise<{ batchId: number; proposedAt: number; ageSeconds: number }[]> {
  const [head] = await sink.query<{ ts: unknown }>(
    "SELECT max(block_ts) AS ts FROM canonical_l1_head_events",
  );
  const now = toNumberOrNull(head?.ts);
  if (now === null) return [];
  const rows = await sink.query<{ b: unknown; at: unknown }>(
    `SELECT batch_id AS b, proposed_at AS at FROM canonical_batches
     WHERE batch_id NOT IN (SELECT batch_id FROM canonical_proved_batches)
       AND proposed_at < ${now - Math.floor(thresholdSeconds)}
     ORDER BY batch_id`,
  );
  return rows.map((r) => ({
    batchId: toNumber(r.b),
    proposedAt: toNumber(r.at),
    ageSeconds: now - toNumber(r.at),
  }));
}
