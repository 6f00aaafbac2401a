import "./quietLocalRun.js";
import { parseArgs } from "node:util";
import { describeSchedule, runChaosSeed } from "../chaos/runChaosSeed.js";

/**
 * `npm run chaos -- --seeds N [--first-seed S] [--l2-blocks B]`: runs the chaos suite for N seeds from S,
 * one line per seed, then the faults injected by kind and the events checked. A failing seed prints its
 * schedule; `--seeds 1 --first-seed <seed>` replays it. Exits 1 when any seed failed.
 */
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1" },
    "first-seed": { type: "string", default: "1" },
    "l2-blocks": { type: "string", default: "500" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log("usage: npm run chaos -- --seeds N [--first-seed S] [--l2-blocks B]");
  process.exit(0);
}
const seeds = positive(values.seeds, "--seeds");
const first = positive(values["first-seed"], "--first-seed", 0);
const l2Blocks = positive(values["l2-blocks"], "--l2-blocks");
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

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
  console.log(
    `seed ${seed}: ${r.ok ? "ok  " : "FAIL"} ${(r.durationMs / 1000).toFixed(1)} s, ${faults} faults, ${r.eventsChecked} events checked, ` +
      `${r.counters.processed ?? 0} processed, ${r.counters.duplicatesDropped ?? 0} duplicates dropped, ${r.counters.redriven ?? 0} redriven` +
      ` (${Object.entries(r.phaseSeconds)
        .map(([phase, s]) => `${phase} ${s.toFixed(1)}`)
        .join(", ")})`,
  );
  if (r.ok) passed++;
  else {
    failed.push(seed);
    for (const p of r.problems) console.log(`  problem: ${p}`);
    console.log(`  injected: ${JSON.stringify(r.injected)}`);
    console.log(`  replay with: npm run chaos -- --seeds 1 --first-seed ${seed} --l2-blocks ${l2Blocks}`);
    console.log(describeSchedule(r.schedule).replace(/^/gm, "  "));
  }
}
console.log(
  `\n${passed}/${seeds} seeds passed in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${events} events checked`,
);
console.log("faults injected by kind:");
for (const [kind, n] of Object.entries(totals).sort()) console.log(`  ${kind.padEnd(40)} ${n}`);
if (failed.length > 0) console.log(`failed seeds: ${failed.join(", ")}`);
process.exit(failed.length === 0 ? 0 : 1);

function positive(raw: string | undefined, flag: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`${flag} must be an integer ≥ ${min}, got ${raw}`);
    process.exit(2);
  }
  return n;
}
