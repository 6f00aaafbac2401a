import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDuckDbSink } from "../lambdas/sink/duckdbSink.js";
import { LOCAL_TIMING_DEFAULTS } from "../scripts/pipeline/createLocalPipeline.js";
import { type LocalPipelineResult, runLocalPipeline } from "../scripts/pipeline/runLocalPipeline.js";
import type { Goal } from "./processorBench.js";
import {
  type Figure,
  figure,
  formatNumber,
  percentile,
  renderTable,
  showFigure,
  sortedCopy,
} from "./stats.js";

export interface E2eBenchOptions {
  readonly runs: number;
  readonly l2Blocks: number;
  /** Wall-clock ms per L2 block the devnet spends (0 = as fast as the nodes go). */
  readonly pacingMsPerL2Block: number;
  readonly log: (line: string) => void;
}

/** The local pipeline's ingestor poll interval; the goal is p99 ≤ this + 2 s. */
export const LOCAL_POLL_INTERVAL_MS = LOCAL_TIMING_DEFAULTS.pollIntervalMs;

interface E2eSample {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly l2Blocks: number;
  readonly eventsInSink: number;
  readonly eventsPerSecond: number;
  readonly freshnessL2: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly n: number;
  };
  readonly freshnessL1: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly n: number;
  };
  /** Blocks whose mining the hook saw / whose row the sink holds (accounting). */
  readonly minedSeen: number;
  readonly matched: number;
  /** L1 + L2 header rows in the sink: each must match a block the hook saw mined, except those mined before the run (deploy). */
  readonly headerRows: number;
  /** Header rows whose block the hook did not see mined, and whether all precede the first one it saw. */
  readonly unmatchedBeforeRun: number;
  readonly unmatchedDuringRun: number;
  readonly counters: LocalPipelineResult["counters"];
  /** The longest stretches in which no L2 row was written while blocks were being mined. */
  readonly longestWriteGapsMs: readonly number[];
}

export interface E2eBenchResult {
  readonly eventsPerSecond: Figure;
  readonly freshnessL2P50Ms: Figure;
  readonly freshnessL2P99Ms: Figure;
  readonly freshnessL1P50Ms: Figure;
  readonly freshnessL1P99Ms: Figure;
  readonly samples: readonly E2eSample[];
  readonly pollIntervalMs: number;
  readonly goals: readonly Goal[];
  readonly table: string;
}

/**
 * Part 4: the whole local pipeline (devnet → ingestor → SQS → processor → DuckDB) as `npm start`
 * runs it. Freshness = when the row was written (DuckDB's inserted_at, stamped in the write's
 * transaction) minus when its block was mined (wall clock, seen by a hook on the devnet's own
 * evm_mine calls: the devnet's block timestamps are a virtual chain clock, not wall time).
 */
export async function runE2eBench(options: E2eBenchOptions): Promise<E2eBenchResult> {
  const samples: E2eSample[] = [];
  for (let run = 0; run < options.runs; run++) {
    const sample = await runOnce(options, run);
    samples.push(sample);
    options.log(
      `  e2e run ${run + 1}/${options.runs}: ${sample.l2Blocks} L2 blocks, ${formatNumber(sample.eventsPerSecond)} events/s, L2 freshness p50 ${formatNumber(sample.freshnessL2.p50)} ms p99 ${formatNumber(sample.freshnessL2.p99)} ms${sample.ok ? "" : ` (run problems: ${sample.problems.join("; ")})`}`,
    );
  }
  const f = (g: (s: E2eSample) => number) => figure(samples.map(g));
  const result = {
    eventsPerSecond: f((s) => s.eventsPerSecond),
    freshnessL2P50Ms: f((s) => s.freshnessL2.p50),
    freshnessL2P99Ms: f((s) => s.freshnessL2.p99),
    freshnessL1P50Ms: f((s) => s.freshnessL1.p50),
    freshnessL1P99Ms: f((s) => s.freshnessL1.p99),
    samples,
    pollIntervalMs: LOCAL_POLL_INTERVAL_MS,
  };
  const limit = LOCAL_POLL_INTERVAL_MS + 2000;
  const goals: Goal[] = [
    {
      goal: `freshness p99 ≤ poll interval + 2 s (${formatNumber(limit)} ms), L2 blocks`,
      met: result.freshnessL2P99Ms.median <= limit,
      measured: `${formatNumber(result.freshnessL2P99Ms.median)} ms`,
    },
  ];
  return { ...result, goals, table: renderE2eTable(result, samples, goals) };
}

interface MineHook {
  /** block hash → wall-clock ms when evm_mine returned, per node URL. */
  readonly mined: Map<string, { url: string; at: number }>;
  uninstall(): void;
}

/**
 * Observes the devnet's JSON-RPC over the global fetch (viem's http transport uses it): the time an
 * evm_mine answered, then the hash of the block the miner reads back right after. Nothing is changed.
 */
function installMineHook(): MineHook {
  const original = globalThis.fetch;
  const mined = new Map<string, { url: string; at: number }>();
  const lastMine = new Map<string, number>();
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const response = await original(input, init);
    const body = typeof init?.body === "string" ? init.body : undefined;
    if (body === undefined || !body.includes('"method":"')) return response;
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (body.includes('"evm_mine"')) {
      lastMine.set(url, Date.now());
    } else if (body.includes('"eth_getBlockByNumber"') && body.includes('"latest"') && lastMine.has(url)) {
      const at = lastMine.get(url) as number;
      lastMine.delete(url);
      const json = (await response.clone().json()) as
        | { result?: { hash?: string } }
        | { result?: { hash?: string } }[];
      const one = Array.isArray(json) ? json[0] : json;
      const hash = one?.result?.hash?.toLowerCase();
      if (hash && !mined.has(hash)) mined.set(hash, { url, at });
    }
    return response;
  };
  return {
    mined,
    uninstall: () => {
      globalThis.fetch = original;
    },
  };
}

async function runOnce(options: E2eBenchOptions, run: number): Promise<E2eSample> {
  const dir = await mkdtemp(join(tmpdir(), "tidemark-bench-e2e-"));
  const duckdbPath = join(dir, "e2e.duckdb");
  const hook = installMineHook();
  // As `npm start` does: the functions' EMF lines would bury the tables (the counters are kept).
  const metricsDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  let result: LocalPipelineResult;
  try {
    result = await runLocalPipeline({
      l2Blocks: options.l2Blocks,
      seed: run + 1,
      duckdbPath,
      knobs: { pacingMsPerL2Block: options.pacingMsPerL2Block },
    });
  } finally {
    hook.uninstall();
    if (metricsDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = metricsDisabled;
  }
  try {
    const sink = await createDuckDbSink({ path: duckdbPath });
    try {
      const rows = async (table: "l1_head_events" | "l2_head_events") =>
        (
          await sink.query<{ hash: string; at: number; n: number }>(
            `SELECT block_hash AS hash, epoch_ms(inserted_at) AS at, ${table === "l1_head_events" ? "l1_block_number" : "l2_block_number"} AS n FROM ${table}`,
          )
        ).map((r) => ({ hash: r.hash, at: Number(r.at), n: Number(r.n) }));
      const [l1, l2] = await Promise.all([rows("l1_head_events"), rows("l2_head_events")]);
      const [{ n }] = (await sink.query<{ n: bigint }>(
        `SELECT (SELECT count(*) FROM l1_head_events) + (SELECT count(*) FROM l2_head_events) + (SELECT count(*) FROM batches)
          + (SELECT count(*) FROM proved_batches) + (SELECT count(*) FROM verified_batches)
          + (SELECT count(*) FROM forced_inclusion_processed) + (SELECT count(*) FROM reorgs) AS n`,
      )) as [{ n: bigint }];
      // Blocks mined before the devnet took control (genesis, deployment) were not seen by the hook.
      const unmatched = (list: { hash: string; n: number }[]) => {
        const seen = list.filter((r) => hook.mined.has(r.hash)).map((r) => r.n);
        const first = seen.length > 0 ? Math.min(...seen) : Number.POSITIVE_INFINITY;
        const missing = list.filter((r) => !hook.mined.has(r.hash));
        return {
          before: missing.filter((r) => r.n < first).length,
          during: missing.filter((r) => r.n >= first).length,
        };
      };
      const u1 = unmatched(l1);
      const u2 = unmatched(l2);
      const fresh = (list: { hash: string; at: number }[]) => {
        const lags: number[] = [];
        for (const row of list) {
          const m = hook.mined.get(row.hash);
          if (m) lags.push(row.at - m.at);
        }
        const sorted = sortedCopy(lags);
        return {
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted.at(-1) ?? Number.NaN,
          n: sorted.length,
        };
      };
      const minedAt = [...hook.mined.values()].map((m) => m.at);
      const allRows = [...l1, ...l2].map((r) => r.at);
      const span = (Math.max(...allRows) - Math.min(...minedAt)) / 1000;
      // Gaps: consecutive L2 row-write instants, sorted by time; long ones are when nothing ingested.
      const writes = sortedCopy([...new Set(l2.map((r) => r.at))]);
      const gaps = sortedCopy(writes.slice(1).map((t, i) => t - (writes[i] as number)))
        .reverse()
        .slice(0, 5);
      return {
        ok: result.ok,
        problems: result.problems,
        l2Blocks: result.devnet?.l2Blocks ?? l2.length,
        eventsInSink: Number(n),
        eventsPerSecond: Number(n) / span,
        freshnessL2: fresh(l2),
        freshnessL1: fresh(l1),
        minedSeen: hook.mined.size,
        matched: fresh(l1).n + fresh(l2).n,
        headerRows: l1.length + l2.length,
        unmatchedBeforeRun: u1.before + u2.before,
        unmatchedDuringRun: u1.during + u2.during,
        counters: result.counters,
        longestWriteGapsMs: gaps,
      };
    } finally {
      await sink.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function renderE2eTable(
  r: Omit<E2eBenchResult, "goals" | "table">,
  samples: readonly E2eSample[],
  goals: readonly Goal[],
): string {
  const rows: string[][] = [
    ["figure", "median (min–max)"],
    ["L2 blocks per run", samples.map((s) => s.l2Blocks).join(", ")],
    ["events/s chain → sink", showFigure(r.eventsPerSecond)],
    ["L2 freshness p50 ms", showFigure(r.freshnessL2P50Ms)],
    ["L2 freshness p99 ms", showFigure(r.freshnessL2P99Ms)],
    ["L1 freshness p50 ms", showFigure(r.freshnessL1P50Ms)],
    ["L1 freshness p99 ms", showFigure(r.freshnessL1P99Ms)],
    [
      "longest L2 write gaps ms (run 1)",
      (samples[0]?.longestWriteGapsMs ?? []).map((g) => formatNumber(g)).join(", "),
    ],
    ["pipeline verified against chain", samples.map((s) => (s.ok ? "ok" : "PROBLEMS")).join(", ")],
  ];
  const goalLines = goals.map((g) => `  ${g.met ? "MET " : "MISS"}  ${g.goal}: ${g.measured}`);
  return [
    renderTable(
      `4. End to end: runLocalPipeline (devnet → ingestor → SQS FIFO → processor → DuckDB), ingestor poll ${r.pollIntervalMs} ms`,
      rows,
    ),
    ...goalLines,
  ].join("\n");
}
