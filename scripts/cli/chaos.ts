import "./quietLocalRun.js";
import { resolve } from "node:path";
import {
  appendChaosResult,
  currentCommit,
  DEFAULT_CHAOS_RESULTS_FILE,
  formatChaosReport,
  readChaosReport,
  toResultLine,
} from "../chaos/chaosResults.js";
import { describeSchedule, runChaosSeed } from "../chaos/runChaosSeed.js";
import { type CliIo, EXIT, intOption, parseCommand, printUsage, runEntryPoint } from "./cliSupport.js";

const USAGE = `Usage: npm run chaos -- --seeds N [--first-seed S] [--l2-blocks B] [--jobs J] [--file F]
       npm run chaos -- --report [--file F]

Runs the chaos suite for N seeds from S, one line per seed, then the faults injected by kind and the
events checked. A failing seed prints its schedule; \`--seeds 1 --first-seed <seed>\` replays it.
--jobs J runs J seeds at once, each on its own local parts (default 1); lines come in finishing order.
Each seed appends one JSON line (seed, result, events checked, faults by kind, commit, duration) to
the results file F (default ${DEFAULT_CHAOS_RESULTS_FILE}); --report summarises that file: seeds
passed of the total, injections per kind, and the kinds injected fewer than 50 times.
Exits 0 when every seed passed, 1 when any failed, 2 on a usage error.`;

async function main(io: CliIo): Promise<number> {
  const { values } = parseCommand(
    process.argv.slice(2),
    {
      seeds: { type: "string" },
      "first-seed": { type: "string" },
      "l2-blocks": { type: "string" },
      jobs: { type: "string" },
      report: { type: "boolean" },
      file: { type: "string" },
    },
    0,
    { target: false },
  );
  if (values.help) return printUsage(io, USAGE);
  const file = resolve(io.cwd, typeof values.file === "string" ? values.file : DEFAULT_CHAOS_RESULTS_FILE);
  if (values.report) {
    const report = await readChaosReport(file);
    io.stdout.write(`${formatChaosReport(report, file)}\n`);
    return report.passed === report.seeds ? EXIT.ok : EXIT.findings;
  }
  const commit = currentCommit(io.cwd);
  const seeds = intOption(values, "seeds", { min: 1 }) ?? 1;
  const first = intOption(values, "first-seed") ?? 1;
  const l2Blocks = intOption(values, "l2-blocks", { min: 1 }) ?? 500;
  const jobs = intOption(values, "jobs", { min: 1 }) ?? 1;
  const log = (line: string) => io.stdout.write(`${line}\n`);
  const totals: Record<string, number> = {};
  let passed = 0;
  let events = 0;
  const failed: number[] = [];
  const t0 = Date.now();
  const runOne = async (seed: number) => {
    const r = await runChaosSeed(seed, { l2Blocks });
    await appendChaosResult(file, toResultLine(r, commit, new Date()));
    for (const [kind, n] of Object.entries(r.injected)) totals[kind] = (totals[kind] ?? 0) + n;
    events += r.eventsChecked;
    for (const line of describeSeed(r, l2Blocks)) log(line);
    if (r.ok) passed++;
    else failed.push(seed);
  };
  let next = first;
  const worker = async () => {
    while (next < first + seeds) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, seeds) }, worker));
  failed.sort((a, b) => a - b);
  log(
    `\n${passed}/${seeds} seeds passed in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${events} events checked`,
  );
  log("faults injected by kind:");
  for (const [kind, n] of Object.entries(totals).sort()) log(`  ${kind.padEnd(40)} ${n}`);
  if (failed.length > 0) log(`failed seeds: ${failed.join(", ")}`);
  log(`results appended to ${file} (\`npm run chaos -- --report\` summarises it)`);
  return failed.length === 0 ? EXIT.ok : EXIT.findings;
}

/** One seed's line, and for a failed seed its problems, faults, replay command and schedule. */
function describeSeed(r: Awaited<ReturnType<typeof runChaosSeed>>, l2Blocks: number): string[] {
  const faults = Object.values(r.injected).reduce((s, n) => s + n, 0);
  const phases = Object.entries(r.phaseSeconds)
    .map(([phase, s]) => `${phase} ${s.toFixed(1)}`)
    .join(", ");
  const lines = [
    `seed ${r.seed}: ${r.ok ? "ok  " : "FAIL"} ${r.sink.padEnd(10)} ${(r.durationMs / 1000).toFixed(1)} s, ${faults} faults, ${r.eventsChecked} events checked, ` +
      `${r.counters.processed ?? 0} processed, ${r.counters.duplicatesDropped ?? 0} duplicates dropped, ${r.counters.redriven ?? 0} redriven (${phases})`,
  ];
  if (r.ok) return lines;
  lines.push(...r.problems.map((p) => `  problem: ${p}`));
  lines.push(`  injected: ${JSON.stringify(r.injected)}`);
  lines.push(`  replay with: npm run chaos -- --seeds 1 --first-seed ${r.seed} --l2-blocks ${l2Blocks}`);
  lines.push(describeSchedule(r.schedule).replace(/^/gm, "  "));
  return lines;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("npm run chaos", io, () => main(io)).then((code) => process.exit(code));
