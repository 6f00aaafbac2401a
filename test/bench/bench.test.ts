import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../bench/run.js";

/**
 * Keeps the bench from rotting: `--quick` runs every part end to end and what it counted must add
 * up (records, requests, rows). Never asserts a speed: these machines are noisy.
 */
describe("npm run bench -- --quick", () => {
  let dir: string;
  let results: BenchResults;
  let stdout: string;

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), "tidemark-bench-test-"));
    const out = join(dir, "results.json");
    // Act
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--quick", "--out", out],
      { cwd: join(import.meta.dirname, "..", ".."), maxBuffer: 16 * 1024 * 1024, timeout: 280_000 },
    ));
    results = JSON.parse(await readFile(out, "utf8")) as BenchResults;
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the tables and writes the figures of every part", () => {
    // Assess
    for (const title of ["1. Processor vs Powertools", "2. Ingest", "3. Lambda bundles", "4. End to end"]) {
      expect(stdout).toContain(title);
    }
    expect(Object.keys(results.parts).sort()).toEqual(["bundles", "e2e", "ingest", "processor", "serve"]);
    expect(results.goals.length).toBeGreaterThanOrEqual(8);
  });

  it("accounts for every record, request and row", () => {
    // Assess
    const failed = results.accounting.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(results.accounting.length).toBeGreaterThan(20);
  });

  it("measures both processors on the same records, fresh and replayed, at 1 and 4 instances", () => {
    // Assess
    const cells = results.parts.processor?.cells ?? [];
    const keys = cells.map((c) => `${c.variant}/${c.phase}/${c.concurrency}`).sort();
    expect(keys).toEqual([
      "powertools/new/1",
      "powertools/new/4",
      "powertools/replay/1",
      "powertools/replay/4",
      "tidemark/new/1",
      "tidemark/new/4",
      "tidemark/replay/1",
      "tidemark/replay/4",
    ]);
    const sent = new Set(cells.map((c) => c.accounting.recordsSent));
    expect(sent.size).toBe(1);
  });

  it("records why Ponder did not run instead of a figure", () => {
    // Assess
    const ponder = results.parts.ingest?.cells.find((c) => c.variant === "ponder");
    expect(ponder?.status).toBe("unavailable");
    expect(ponder?.reason).toMatch(/--quick/);
    expect(ponder?.blocksPerSecond).toBeUndefined();
  });
});
