import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  appendChaosResult,
  parseChaosResults,
  readChaosReport,
  summariseChaosResults,
  toResultLine,
  WORLD_FAULT_KINDS,
} from "../../../scripts/chaos/chaosResults.js";
import { chaosSchedule } from "../../../scripts/chaos/chaosSchedule.js";
import type { ChaosSeedResult } from "../../../scripts/chaos/runChaosSeed.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const seedResult = (seed: number, ok: boolean, injected: Record<string, number>): ChaosSeedResult => ({
  seed,
  sink: "duckdb",
  ok,
  problems: ok ? [] : ["l2_head_events: 1 missing"],
  schedule: chaosSchedule(seed),
  injected,
  eventsChecked: 1000 + seed,
  verification: undefined,
  counters: {},
  durationMs: 20_000,
  phaseSeconds: {},
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaos-results-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the chaos results file", () => {
  it("gets one line per seed with seed, result, events checked, faults by kind, commit and duration", async () => {
    // Prepare
    const file = join(dir, "nested", "results.jsonl");
    // Act
    await appendChaosResult(file, toResultLine(seedResult(7, true, { poison: 3 }), "abc1234", new Date(0)));
    await appendChaosResult(file, toResultLine(seedResult(8, false, { poison: 2 }), "abc1234", new Date(0)));
    // Assess
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        seed: 7,
        result: "ok",
        sink: "duckdb",
        eventsChecked: 1007,
        faults: { poison: 3 },
        commit: "abc1234",
        durationMs: 20_000,
        at: "1970-01-01T00:00:00.000Z",
      },
      expect.objectContaining({ seed: 8, result: "fail", problems: ["l2_head_events: 1 missing"] }),
    ]);
  });

  it("summarises passed of total, totals per kind and the kinds injected fewer than 50 times", () => {
    // Prepare
    const lines = [
      toResultLine(seedResult(1, true, { poison: 30, "rpc:down": 4 }), "a", new Date(0)),
      toResultLine(seedResult(2, false, { poison: 25, leaseLost: 1 }), "b", new Date(0)),
    ];
    // Act
    const report = summariseChaosResults(lines);
    // Assess
    expect(report).toMatchObject({
      seeds: 2,
      passed: 1,
      failedSeeds: [2],
      eventsChecked: 2003,
      totals: { leaseLost: 1, poison: 55, "rpc:down": 4 },
      underExercised: { leaseLost: 1, "rpc:down": 4 },
      commits: ["a", "b"],
    });
  });

  it("lists every world fault kind of issue #15, at 0 when no seed injected it, and the seeds per sink", () => {
    // Prepare: two seeds; flips on L1 only, no SQS answer lost
    const lines = [
      toResultLine(seedResult(1, true, { "flip:l1": 40, "sqs:lostAnswer": 0 }), "a", new Date(0)),
      toResultLine(seedResult(2, true, { "flip:l1": 30, "provider:lagging": 70 }), "a", new Date(0)),
    ];
    // Act
    const report = summariseChaosResults(lines);
    // Assess
    for (const kind of WORLD_FAULT_KINDS) expect(report.totals).toHaveProperty([kind]);
    expect(report.underExercised).toMatchObject({ "flip:l2": 0, "sqs:lostAnswer": 0, "deepReorg:l2": 0 });
    expect(report.underExercised).not.toHaveProperty(["flip:l1"]);
    expect(report.underExercised).not.toHaveProperty(["provider:lagging"]);
    expect(report.sinks).toEqual({ duckdb: 2 });
  });

  it("names the line that is not a result", () => {
    // Act / Assess
    expect(() => parseChaosResults('{"seed":1,"result":"ok","faults":{}}\n{"seed":2}\n', "r.jsonl")).toThrow(
      /r\.jsonl:2 is not a chaos result/,
    );
    expect(() => parseChaosResults("nope\n", "r.jsonl")).toThrow(/r\.jsonl:1 is not JSON/);
  });

  it("is what `npm run chaos -- --report --file F` prints, exiting 1 when a seed failed", async () => {
    // Prepare
    const file = join(dir, "r.jsonl");
    await writeFile(
      file,
      [
        toResultLine(seedResult(1, true, { poison: 60 }), "a", new Date(0)),
        toResultLine(seedResult(2, false, { poison: 1, leaseLost: 2 }), "a", new Date(0)),
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    // Act
    const run = promisify(execFile)("npx", ["tsx", "scripts/cli/chaos.ts", "--report", "--file", file], {
      cwd: ROOT,
    });
    // Assess
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain("1/2 seeds passed");
    expect(failure?.stdout).toMatch(/leaseLost\s+2 {2}< 50/);
    expect(failure?.stdout).toMatch(/\d+ kind\(s\) injected fewer than 50 times: .*leaseLost/);
    expect(failure?.stdout).toContain("seeds by sink: duckdb 2");
    expect((await readChaosReport(file)).totals.poison).toBe(61);
  }, 60_000);
});
