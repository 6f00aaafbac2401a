import "./quietLocalRun.js";
import { resolve } from "node:path";
import {
  appendChaosResult,
  currentCommit,
  DEFAULT_CHAOS_RESULTS_FILE,
  formatChaosReport,
  readChaosReport,
  toResultLine,
  worldKindsLine,
} from "../chaos/chaosResults.js";
import { describeSchedule, runChaosSeed } from "../chaos/runChaosSeed.js";
import { type CliIo, EXIT, intOption, parseCommand, printUsage, runEntryPoint } from "./cliSupport.js";

const USAGE = `Usage: npm run chaos -- --seeds N [--first-seed S] [--l2-blocks B] [--file F]
       npm run chaos -- --report [--file F]

Runs the chaos suite for N seeds from S, one line per seed, then the faults injected by kind and the
events checked. A failing seed prints its schedule; \`--seeds 1 --first-seed <seed>\` replays it.
Each seed appends one JSON line (seed, result, events checked, faults by kind, commit, duration) to
the results file F (default ${DEFAULT_CHAOS_RESULTS_FILE}); --report summarises that file: seeds
passed of the total, seeds per sink, injections per kind (each of issue #15's world kinds listed, 0
when never injected), and the kinds injected fewer than 50 times.
Exits 0 when every seed passed, 1 when any failed, 2 on a usage error.`;

async function main(io: CliIo): Promise<number> {
  const { values } = parseCommand(
    process.argv.slice(2),
    {
      seeds: { type: "string" },
      "first-seed": { type: "string" },
      "l2-blocks": { type: "string" },
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
  const log = (line: string) => io.stdout.write(`${line}\n`);
  const totals: Record<string, number> = {};
  let passed = 0;
  let events = 0;
  const failed: number[] = [];
  const t0 = Date.now();
  for (let seed = first; seed < first + seeds; seed++) {
    const r = await runChaosSeed(seed, { l2Blocks });
    await appendChaosResult(file, toResultLine(r, commit, new Date()));
    const faults = Object.values(r.injected).reduce((s, n) => s + n, 0);
    for (const [kind, n] of Object.entries(r.injected)) totals[kind] = (totals[kind] ?? 0) + n;
    events += r.eventsChecked;
    const phases = Object.entries(r.phaseSeconds)
      .map(([phase, s]) => `${phase} ${s.toFixed(1)}`)
      .join(", ");
    log(
      `seed ${seed}: ${r.ok ? "ok  " : "FAIL"} ${r.sink.padEnd(10)} ${(r.durationMs / 1000).toFixed(1)} s, ${faults} faults, ${r.eventsChecked} events checked, ` +
        `${r.counters.processed ?? 0} processed, ${r.counters.duplicatesDropped ?? 0} duplicates dropped, ${r.counters.redriven ?? 0} redriven (${phases})`,
    );
    log(`  world faults: ${worldKindsLine(r.injected)}`);
    if (r.ok) passed++;
    else {
      failed.push(seed);
      for (const p of r.problems) log(`  problem: ${p}`);
      log(`  injected: ${JSON.stringify(r.injected)}`);
      log(`  replay with: npm run chaos -- --seeds 1 --first-seed ${seed} --l2-blocks ${l2Blocks}`);
      log(describeSchedule(r.schedule).replace(/^/gm, "  "));
    }
  }
  log(
    `\n${passed}/${seeds} seeds passed in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${events} events checked`,
  );
  log("faults injected by kind:");
  for (const [kind, n] of Object.entries(totals).sort()) log(`  ${kind.padEnd(40)} ${n}`);
  if (failed.length > 0) log(`failed seeds: ${failed.join(", ")}`);
  log(`results appended to ${file} (\`npm run chaos -- --report\` summarises it)`);
  return failed.length === 0 ? EXIT.ok : EXIT.findings;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("npm run chaos", io, () => main(io)).then((code) => process.exit(code));
