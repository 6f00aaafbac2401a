import { execFileSync } from "node:child_process";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ChaosSeedResult } from "./runChaosSeed.js";

/** Where `npm run chaos` appends one line per seed unless told otherwise (`--results <file>`). */
export const DEFAULT_CHAOS_RESULTS_FILE = "docs/evidence/chaos-results.jsonl";

/** A fault kind injected fewer times than this over the summarised runs is listed as under-exercised. */
export const MIN_INJECTIONS_PER_KIND = 50;

/**
 * The fault kinds issue #15 added (lagging and load-balanced providers, A→B→A flips on both chains, a
 * reorg deeper than the window, bad and absurd logs, AWS writes applied with their answer lost, Firehose
 * deliveries that fail): the report lists each, also when no seed injected it, so a kind that silently
 * stopped being injected shows as 0.
 */
export const WORLD_FAULT_KINDS = [
  "provider:lagging",
  "provider:loadBalanced",
  "flip:l1",
  "flip:l2",
  "deepReorg:l2",
  "badLog:undecodable",
  "badLog:tenToTheNineBlocks",
  "badLog:outOfRangeTimestamp",
  "dynamodb:lostAnswer",
  "sqs:lostAnswer",
  "firehose:deliveryFailed",
] as const;

/** One line of the results file: what one seed did and whether it kept the guarantees. */
export interface ChaosResultLine {
  readonly seed: number;
  readonly result: "ok" | "fail";
  /** The store the processor wrote to: duckdb, firehose (the stand-in) or clickhouse. */
  readonly sink?: string;
  readonly eventsChecked: number;
  /** Faults that actually happened, by kind. */
  readonly faults: Readonly<Record<string, number>>;
  /** The commit the run was on (`git rev-parse --short HEAD`; "+dirty" when the tree had changes). */
  readonly commit: string;
  readonly durationMs: number;
  /** When the seed finished (ISO 8601). */
  readonly at: string;
  /** The broken guarantees of a failing seed (first few). */
  readonly problems?: readonly string[];
}

/** The line a seed's result becomes. */
export function toResultLine(r: ChaosSeedResult, commit: string, at: Date): ChaosResultLine {
  return {
    seed: r.seed,
    result: r.ok ? "ok" : "fail",
    sink: r.sink,
    eventsChecked: r.eventsChecked,
    faults: r.injected,
    commit,
    durationMs: r.durationMs,
    at: at.toISOString(),
    ...(r.ok ? {} : { problems: r.problems.slice(0, 5).map((p) => p.slice(0, 500)) }),
  };
}

/** Appends one line (the file and its directory are created when missing). */
export async function appendChaosResult(file: string, line: ChaosResultLine): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(line)}\n`);
}

/** The commit the suite runs on, so a line names the code it proves; "unknown" outside a git checkout. */
export function currentCommit(cwd: string): string {
  const git = (args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
  try {
    const sha = git(["rev-parse", "--short", "HEAD"]);
    return git(["status", "--porcelain", "--untracked-files=no"]) === "" ? sha : `${sha}+dirty`;
  } catch {
    return "unknown";
  }
}

export interface ChaosReport {
  readonly seeds: number;
  readonly passed: number;
  readonly failedSeeds: readonly number[];
  readonly eventsChecked: number;
  /** Injections per fault kind over every line. */
  readonly totals: Readonly<Record<string, number>>;
  /** Kinds injected fewer than `minPerKind` times (a world kind never injected counts 0), with their counts. */
  readonly underExercised: Readonly<Record<string, number>>;
  /** Seeds per sink the processor wrote to (duckdb, firehose, clickhouse). */
  readonly sinks: Readonly<Record<string, number>>;
  readonly minPerKind: number;
  readonly commits: readonly string[];
}

/** Parses the results file; a line that is not a result is an error naming its line number. */
export function parseChaosResults(text: string, file: string): ChaosResultLine[] {
  const lines: ChaosResultLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${file}:${i + 1} is not JSON (${(error as Error).message})`);
    }
    const l = line as Partial<ChaosResultLine>;
    if (
      typeof l.seed !== "number" ||
      (l.result !== "ok" && l.result !== "fail") ||
      typeof l.faults !== "object" ||
      l.faults === null
    ) {
      throw new Error(`${file}:${i + 1} is not a chaos result (needs seed, result "ok"|"fail", faults)`);
    }
    lines.push(line as ChaosResultLine);
  });
  return lines;
}

/** Passed/total, per-kind totals and the kinds injected too rarely to count as exercised. */
export function summariseChaosResults(
  lines: readonly ChaosResultLine[],
  minPerKind = MIN_INJECTIONS_PER_KIND,
): ChaosReport {
  const totals: Record<string, number> = Object.fromEntries(WORLD_FAULT_KINDS.map((k) => [k, 0]));
  const sinks: Record<string, number> = {};
  for (const line of lines) {
    if (line.sink !== undefined) sinks[line.sink] = (sinks[line.sink] ?? 0) + 1;
    for (const [kind, n] of Object.entries(line.faults)) totals[kind] = (totals[kind] ?? 0) + n;
  }
  const sorted = Object.fromEntries(Object.entries(totals).sort(([a], [b]) => a.localeCompare(b)));
  return {
    seeds: lines.length,
    passed: lines.filter((l) => l.result === "ok").length,
    failedSeeds: lines.filter((l) => l.result === "fail").map((l) => l.seed),
    eventsChecked: lines.reduce((s, l) => s + (l.eventsChecked ?? 0), 0),
    totals: sorted,
    underExercised: Object.fromEntries(Object.entries(sorted).filter(([, n]) => n < minPerKind)),
    sinks,
    minPerKind,
    commits: [...new Set(lines.map((l) => l.commit))],
  };
}

/** Reads and summarises a results file. */
export async function readChaosReport(file: string): Promise<ChaosReport> {
  return summariseChaosResults(parseChaosResults(await readFile(file, "utf8"), file));
}

/** One seed's counts of the world kinds, for the line `npm run chaos` prints after each seed. */
export function worldKindsLine(faults: Readonly<Record<string, number>>): string {
  return WORLD_FAULT_KINDS.map((k) => `${k} ${faults[k] ?? 0}`).join(", ");
}

/** The report as `npm run chaos -- --report` prints it. */
export function formatChaosReport(report: ChaosReport, file: string): string {
  const out = [
    `${file}: ${report.passed}/${report.seeds} seeds passed; ${report.eventsChecked} events checked; commits ${report.commits.join(", ") || "none"}`,
  ];
  if (report.failedSeeds.length > 0) out.push(`failed seeds: ${report.failedSeeds.join(", ")}`);
  const sinks = Object.entries(report.sinks).map(([sink, n]) => `${sink} ${n}`);
  if (sinks.length > 0) out.push(`seeds by sink: ${sinks.join(", ")}`);
  out.push("faults injected by kind:");
  for (const [kind, n] of Object.entries(report.totals)) {
    const rare = kind in report.underExercised ? `  < ${report.minPerKind}` : "";
    out.push(`  ${kind.padEnd(48)} ${String(n).padStart(6)}${rare}`);
  }
  const rare = Object.keys(report.underExercised);
  out.push(
    rare.length === 0
      ? `every kind injected at least ${report.minPerKind} times`
      : `${rare.length} kind(s) injected fewer than ${report.minPerKind} times: ${rare.join(", ")}`,
  );
  return out.join("\n");
}
