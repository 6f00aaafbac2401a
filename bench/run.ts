import { readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BundleBenchResult, runBundleBench } from "./bundleBench.js";
import { type E2eBenchResult, runE2eBench } from "./e2eBench.js";
import { type IngestApiBenchResult, ingestApiAccounting, runIngestApiBench } from "./ingestApiBench.js";
import { type IngestBenchResult, runIngestBench } from "./ingestBench.js";
import { type Goal, type ProcessorBenchResult, runProcessorBench } from "./processorBench.js";
import { runServeBench, type ServeBenchResult } from "./serveBench.js";

export const PARTS = ["processor", "ingest", "bundles", "e2e", "serve", "ingest-api"] as const;
export type Part = (typeof PARTS)[number];
/**
 * What runs without --only. The ingest API's load test is left out: at its default size (two 5-minute
 * sustained cells and the rate steps) it alone takes about 15 minutes, so it runs when asked for.
 */
export const DEFAULT_PARTS: readonly Part[] = PARTS.filter((p) => p !== "ingest-api");

export interface AccountingCheck {
  readonly part: Part;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly quick: boolean;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly cpu: string;
    readonly cores: number;
  };
  readonly durationSeconds: number;
  readonly parts: {
    processor?: ProcessorBenchResult;
    ingest?: IngestBenchResult;
    bundles?: BundleBenchResult;
    e2e?: E2eBenchResult;
    serve?: ServeBenchResult;
    "ingest-api"?: IngestApiBenchResult;
  };
  readonly goals: readonly (Goal & { readonly part: Part })[];
  readonly accounting: readonly AccountingCheck[];
  /** When each part's figures were measured: `--only` reruns some parts and keeps the others'. */
  readonly partsGeneratedAt?: Partial<Record<Part, string>>;
}

const HELP = `npm run bench [-- options]

Tidemark measured side by side with what users would pick instead, in one run.

  --only <parts>   comma-separated: ${PARTS.join(", ")} (default: all but ingest-api)
  --quick          a small version (seconds, not minutes); Ponder is not run
  --duration <s>   ingest-api: seconds per sustained cell (default 300, the issue's 5 minutes; 10 with
                   --quick; or INGEST_API_BENCH_SECONDS); each rate step runs a fifth of it (≥ 5 s)
  ingest-api: INGEST_API_BENCH_RATE (events/s, default 500) sets the sustained rate
  serve: SERVE_BENCH_CLIENTS (comma-separated SSE client counts, default 100,1000; empty: the API
                   figures only, no fan-out)
  --out <file>     where to write the results (default bench/results.json)
  --help
`;

export async function runBench(options: {
  only: readonly Part[];
  quick: boolean;
  log: (line: string) => void;
  /** Seconds per sustained cell of the ingest API's load test. */
  durationSeconds?: number;
}) {
  const { quick, log } = options;
  const t0 = Date.now();
  const parts: BenchResults["parts"] = {};
  const runs = quick ? 1 : 3;
  const failures: { part: Part; error: string }[] = [];
  for (const part of options.only) {
    log(`▶ ${part}${quick ? " (quick)" : ""}`);
    try {
      await runPart(part);
    } catch (error) {
      // One part failing must not lose the others' figures; the failure is in the results and fails the run.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`  ${part} failed: ${message}`);
      failures.push({ part, error: message });
    }
  }
  async function runPart(part: Part): Promise<void> {
    if (part === "processor") {
      parts.processor = await runProcessorBench({
        runs,
        batches: quick ? 4 : 50,
        concurrencies: [1, 4],
        log,
      });
    } else if (part === "ingest") {
      parts.ingest = await runIngestBench({
        blocks: quick ? 300 : 10_000,
        runs,
        naiveBlocks: quick ? 100 : 2_000,
        realtimeBlocks: quick ? 10 : 200,
        ponder: quick ? "skipped in --quick (it installs and starts a separate app)" : true,
        log,
      });
    } else if (part === "bundles") {
      parts.bundles = await runBundleBench({ coldStarts: quick ? 2 : 7, log });
    } else if (part === "ingest-api") {
      const rate = Number(process.env.INGEST_API_BENCH_RATE ?? 500);
      const seconds =
        options.durationSeconds ?? Number(process.env.INGEST_API_BENCH_SECONDS ?? (quick ? 10 : 300));
      parts["ingest-api"] = await runIngestApiBench({
        eventsPerSecond: rate,
        seconds,
        stepSeconds: Math.max(5, Math.round(seconds / 5)),
        steps: [0.25, 0.5, 1, 2, 4, 8].map((x) => Math.round(x * rate)),
        log,
      });
    } else if (part === "serve") {
      parts.serve = await runServeBench({
        blocks: quick ? 5_000 : 100_000,
        requests: quick ? 20 : 200,
        clients: serveBenchClients(process.env.SERVE_BENCH_CLIENTS) ?? (quick ? [20] : [100, 1000]),
        seconds: quick ? 5 : 60,
        eventsPerSecond: 20,
        log,
      });
    } else {
      parts.e2e = await runE2eBench({
        runs,
        l2Blocks: quick ? 30 : 2_000,
        pacingMsPerL2Block: 20,
        log,
      });
    }
  }
  const goals = [
    ...(parts.processor?.goals ?? []).map((g) => ({ ...g, part: "processor" as const })),
    ...(parts.ingest?.goals ?? []).map((g) => ({ ...g, part: "ingest" as const })),
    ...(parts.bundles?.goals ?? []).map((g) => ({ ...g, part: "bundles" as const })),
    ...(parts.e2e?.goals ?? []).map((g) => ({ ...g, part: "e2e" as const })),
    ...(parts.serve?.goals ?? []).map((g) => ({ ...g, part: "serve" as const })),
    ...(parts["ingest-api"]?.goals ?? []).map((g) => ({ ...g, part: "ingest-api" as const })),
  ];
  const cpu = cpus()[0]?.model ?? "unknown";
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    quick,
    machine: {
      node: process.version,
      platform: `${platform()} ${process.arch}`,
      cpu,
      cores: availableParallelism(),
    },
    durationSeconds: (Date.now() - t0) / 1000,
    parts,
    goals,
    accounting: [
      ...accountingChecks(parts),
      ...failures.map((f) => ({
        part: f.part,
        check: "the part ran to the end",
        ok: false,
        detail: f.error.slice(0, 2000),
      })),
    ],
  };
  return results;
}

/** What must add up whatever the speed: every record, request and row accounted for. */
export function accountingChecks(parts: BenchResults["parts"]): AccountingCheck[] {
  const checks: AccountingCheck[] = [];
  const check = (part: Part, name: string, ok: boolean, detail: string) =>
    checks.push({ part, check: name, ok, detail });
  if (parts.processor) {
    for (const c of parts.processor.cells) {
      const a = c.accounting;
      const id = `${c.variant} ${c.phase} ×${c.concurrency}`;
      check(
        "processor",
        `${id}: every record sent is acknowledged`,
        a.recordsAcknowledged === a.recordsSent && a.recordsFailed === 0,
        `${a.recordsAcknowledged}/${a.recordsSent} acknowledged, ${a.recordsFailed} failed`,
      );
      if (a.handlerCounted !== undefined) {
        check(
          "processor",
          `${id}: the handler counted every record (processed + duplicates)`,
          a.handlerCounted === a.recordsSent,
          `${a.handlerCounted}/${a.recordsSent}`,
        );
      }
    }
    const s = parts.processor.sink;
    check(
      "processor",
      "sink rows = distinct records sent",
      s.rowsFound === s.rowsExpected,
      `${s.rowsFound} rows, ${s.rowsExpected} expected`,
    );
  }
  for (const c of parts["ingest-api"]?.cells ?? []) {
    for (const a of ingestApiAccounting(c)) check("ingest-api", a.check, a.ok, a.detail);
  }
  for (const c of parts.serve?.fanOut ?? []) {
    check(
      "serve",
      `sse ×${c.clients}: every client got every event once, in order`,
      c.gaps === 0 && c.duplicates === 0 && c.clientsComplete === c.clients,
      `${c.clientsComplete}/${c.clients} complete, ${c.gaps} gaps, ${c.duplicates} duplicates`,
    );
  }
  if (parts.ingest) {
    const { chain } = parts.ingest;
    for (const c of parts.ingest.cells) {
      if (c.status !== "ok") continue;
      for (const [i, s] of (c.samples ?? []).entries()) {
        const id = `${c.variant} run ${i + 1}`;
        check(
          "ingest",
          `${id}: requests counted = requests served`,
          s.httpRequests === s.httpResponses,
          `${s.httpRequests} counted, ${s.httpResponses} served`,
        );
        if (c.variant === "anvil-ceiling") continue;
        const expectHeaders =
          c.variant === "naive" || c.variant === "tidemark-realtime" ? s.blocks : chain.blocks;
        // Ponder leaves the block at endBlock unindexed (see ponderRunner): one short is its complete.
        const slack = c.variant === "ponder" ? 1 : 0;
        const within = (got: number, want: number) => got <= want && got >= want - slack;
        check(
          "ingest",
          `${id}: one header per block`,
          within(s.produced.headers, expectHeaders),
          `${s.produced.headers}/${expectHeaders}`,
        );
        if (
          ["tidemark-backfill", "tidemark-fetch-decode", "ranged-reference", "ponder"].includes(c.variant)
        ) {
          check(
            "ingest",
            `${id}: every inbox event decoded`,
            within(s.produced.inboxEvents, chain.eventBlocks),
            `${s.produced.inboxEvents}/${chain.eventBlocks}`,
          );
        }
        if (s.produced.queued !== undefined) {
          const sent = s.produced.headers + s.produced.inboxEvents;
          check(
            "ingest",
            `${id}: events in the queue (bundles unpacked) = events published`,
            s.produced.queued === sent,
            `${s.produced.queued} queued in ${s.produced.messages ?? "?"} messages, ${sent} published`,
          );
        }
      }
    }
  }
  if (parts.bundles) {
    for (const c of parts.bundles.cells) {
      check(
        "bundles",
        `${c.fn}: bundle built and loaded in a fresh process`,
        c.bytes > 0 && c.initMs.runs.length > 0,
        `${c.bytes} bytes, ${c.initMs.runs.length} cold starts`,
      );
    }
  }
  if (parts.e2e) {
    for (const [i, s] of parts.e2e.samples.entries()) {
      check(
        "e2e",
        `run ${i + 1}: the sink matches the chain (verifyAgainstChain)`,
        s.ok,
        s.ok ? "verified" : s.problems.join("; "),
      );
      check(
        "e2e",
        `run ${i + 1}: every header row is timed (all but the blocks mined before the run)`,
        s.unmatchedDuringRun === 0 && s.matched + s.unmatchedBeforeRun === s.headerRows,
        `${s.matched} timed + ${s.unmatchedBeforeRun} before the run = ${s.headerRows} rows; ${s.unmatchedDuringRun} untimed during the run`,
      );
      check(
        "e2e",
        `run ${i + 1}: processed + dropped duplicates + dead-lettered = published + duplicates + poison`,
        s.counters.processed + s.counters.duplicatesDropped + s.counters.deadLettered ===
          s.counters.publishedHeaders +
            s.counters.publishedInboxEvents +
            s.counters.publishedReorgs +
            s.counters.duplicatesPublished +
            s.counters.poisonSent,
        JSON.stringify(s.counters),
      );
    }
  }
  return checks;
}

export function renderResults(results: BenchResults): string {
  const out: string[] = [];
  const { parts } = results;
  for (const table of [
    parts.processor?.table,
    parts.ingest?.table,
    parts.bundles?.table,
    parts.e2e?.table,
    parts["ingest-api"]?.table,
  ]) {
    if (table) out.push(table, "");
  }
  const failed = results.accounting.filter((c) => !c.ok);
  out.push(
    `Accounting: ${results.accounting.length - failed.length}/${results.accounting.length} checks add up`,
  );
  for (const c of failed) out.push(`  FAILED  [${c.part}] ${c.check}: ${c.detail}`);
  out.push(
    `${results.machine.platform}, ${results.machine.cpu} × ${results.machine.cores}, node ${results.machine.node}; ${results.durationSeconds.toFixed(0)} s${results.quick ? " (--quick: 1 run each, small sizes)" : "; each figure the median of 3 runs (min–max)"}`,
  );
  return out.join("\n");
}

/**
 * `--only` replaces the parts it ran and keeps the others' figures from the same file, each part
 * stamped with when it ran: a partial run must not erase the rest of a full run's results.
 */
export function mergeResults(
  previous: BenchResults | undefined,
  fresh: BenchResults,
  ran: readonly Part[],
): BenchResults {
  const stamp = Object.fromEntries(ran.map((part) => [part, fresh.generatedAt]));
  if (!previous || previous.quick !== fresh.quick) return { ...fresh, partsGeneratedAt: stamp };
  const kept = (part: Part) => !ran.includes(part);
  const olderStamps = Object.fromEntries(
    PARTS.filter((part) => kept(part) && previous.parts[part] !== undefined).map((part) => [
      part,
      previous.partsGeneratedAt?.[part] ?? previous.generatedAt,
    ]),
  );
  const keptParts = Object.fromEntries(PARTS.filter(kept).map((part) => [part, previous.parts[part]]));
  return {
    ...fresh,
    parts: { ...keptParts, ...fresh.parts },
    goals: [...previous.goals.filter((g) => kept(g.part)), ...fresh.goals],
    accounting: [...previous.accounting.filter((c) => kept(c.part)), ...fresh.accounting],
    partsGeneratedAt: { ...olderStamps, ...stamp },
  };
}

/** SERVE_BENCH_CLIENTS: the SSE client counts to fan out to; "" runs none (the API figures alone). */
export function serveBenchClients(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const counts = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const bad = counts.filter((n) => !(Number.isInteger(n) && n > 0));
  if (bad.length > 0)
    throw new Error(`SERVE_BENCH_CLIENTS must list whole numbers of clients above 0, got ${value}`);
  return counts;
}

async function readResults(file: string): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as BenchResults;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const only = (values.only
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean) ?? [...DEFAULT_PARTS]) as Part[];
  const unknown = only.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) {
    process.stderr.write(`unknown part(s): ${unknown.join(", ")}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const durationSeconds = values.duration === undefined ? undefined : Number(values.duration);
  if (durationSeconds !== undefined && !(Number.isInteger(durationSeconds) && durationSeconds > 0)) {
    process.stderr.write(`--duration must be a whole number of seconds above 0, got ${values.duration}\n`);
    process.exitCode = 2;
    return;
  }
  const out = resolve(values.out ?? join(dirname(fileURLToPath(import.meta.url)), "results.json"));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fresh = await runBench({
    only,
    quick: values.quick ?? false,
    log,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  });
  const results = mergeResults(await readResults(out), fresh, only);
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderResults(results)}\nresults: ${out}\n`);
  if (results.accounting.some((c) => !c.ok)) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(),
    (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
