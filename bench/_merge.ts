import { readFileSync, writeFileSync } from "node:fs";
import { accountingChecks, type BenchResults, renderResults } from "./run.js";

const full = JSON.parse(readFileSync("/tmp/results.full.json", "utf8")) as BenchResults;
const ingest = JSON.parse(readFileSync("/tmp/ingest.json", "utf8")) as BenchResults;
const parts = { ...full.parts, ingest: ingest.parts.ingest };
const goals = [...full.goals.filter((g) => g.part !== "ingest"), ...ingest.goals];
const merged: BenchResults = {
  ...full,
  parts,
  goals,
  durationSeconds: full.durationSeconds,
  accounting: accountingChecks(parts),
};
(merged as { notes?: string }).notes =
  `ingest re-run at ${ingest.generatedAt} (${ingest.durationSeconds.toFixed(0)} s) after fixing the bench's anvil-ceiling counter and Ponder's completion wait; the other parts are from the run at ${full.generatedAt}`;
writeFileSync("bench/results.json", `${JSON.stringify(merged, null, 2)}\n`);
process.stdout.write(`${renderResults(merged)}\n`);
