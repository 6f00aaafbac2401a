import "./quietLocalRun.js";
import { describeSchedule, runChaosSeed } from "../chaos/runChaosSeed.js";
import { type CliIo, EXIT, intOption, parseCommand, printUsage, runEntryPoint } from "./cliSupport.js";

const USAGE = `Usage: npm run chaos -- --seeds N [--first-seed S] [--l2-blocks B]

Runs the chaos suite for N seeds from S, one line per seed, then the faults injected by kind and the
events checked. A failing seed prints its schedule; \`--seeds 1 --first-seed <seed>\` replays it.
Exits 0 when every seed passed, 1 when any failed, 2 on a usage error.`;

async function main(io: CliIo): Promise<number> {
  const { values } = parseCommand(
    process.argv.slice(2),
    { seeds: { type: "string" }, "first-seed": { type: "string" }, "l2-blocks": { type: "string" } },
    0,
    { target: false },
  );
  if (values.help) return printUsage(io, USAGE);
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
    const faults = Object.values(r.injected).reduce((s, n) => s + n, 0);
    for (const [kind, n] of Object.entries(r.injected)) totals[kind] = (totals[kind] ?? 0) + n;
    events += r.eventsChecked;
    const phases = Object.entries(r.phaseSeconds)
      .map(([phase, s]) => `${phase} ${s.toFixed(1)}`)
      .join(", ");
    log(
      `seed ${seed}: ${r.ok ? "ok  " : "FAIL"} ${(r.durationMs / 1000).toFixed(1)} s, ${faults} faults, ${r.eventsChecked} events checked, ` +
        `${r.counters.processed ?? 0} processed, ${r.counters.duplicatesDropped ?? 0} duplicates dropped, ${r.counters.redriven ?? 0} redriven (${phases})`,
    );
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
  return failed.length === 0 ? EXIT.ok : EXIT.findings;
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
runEntryPoint("npm run chaos", io, () => main(io)).then((code) => process.exit(code));
