import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countOf, unmarkedCountOf, verifyInWindows } from "../../../scripts/ops/verifyInWindows.js";
import type { VerifyParameters, VerifyReport } from "../../../scripts/pipeline/verifyAgainstChain.js";

/** A chain whose sink misses every block divisible by 7 and holds L1 block 50 twice. */
function fakeWindow(calls: { l1: [number, number]; l2: [number, number] }[]) {
  return async (p: VerifyParameters): Promise<VerifyReport> => {
    calls.push({ l1: [p.l1Range.from, p.l1Range.to], l2: [p.l2Range.from, p.l2Range.to] });
    const numbers = (r: { from: number; to: number }) =>
      Array.from({ length: Math.max(0, r.to - r.from + 1) }, (_, i) => r.from + i);
    const l1 = numbers(p.l1Range);
    const missing = l1.filter((n) => n % 7 === 0).map((n) => `#${n}`);
    const duplicates = l1.filter((n) => n === 50).map((n) => `#${n}`);
    const unmarked = numbers(p.l2Range)
      .filter((n) => n % 11 === 0)
      .map((n) => `#${n}`);
    return {
      ok: missing.length + duplicates.length + unmarked.length === 0,
      tables: [
        {
          table: "l1_head_events",
          sinkRows: l1.length - missing.length + duplicates.length,
          expected: l1.length,
          missing,
          unexpected: [],
          duplicates,
        },
      ],
      orphans: {
        l1: { offChain: 0, marked: 0, unmarked: [] },
        l2: { offChain: unmarked.length, marked: 0, unmarked },
      },
    };
  };
}

const base = {
  l1Url: "http://127.0.0.1:1",
  l2Url: "http://127.0.0.1:2",
  inboxAddresses: [],
  query: async () => [],
} as const;

describe("verifyInWindows", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tidemark-verify-windows-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("cuts both ranges into windows, keeps exact counts and only a few examples", async () => {
    // Prepare
    const calls: { l1: [number, number]; l2: [number, number] }[] = [];
    const progress: [number, number][] = [];
    // Act
    const report = await verifyInWindows({
      ...base,
      l1Range: { from: 0, to: 999 },
      l2Range: { from: 10, to: 259 },
      windowBlocks: 300,
      examples: 5,
      verifyWindow: fakeWindow(calls),
      onProgress: (done, total) => progress.push([done, total]),
    });
    // Assess
    expect(calls).toEqual([
      { l1: [0, 299], l2: [10, 259] },
      { l1: [300, 599], l2: [310, 259] },
      { l1: [600, 899], l2: [610, 259] },
      { l1: [900, 999], l2: [910, 259] },
    ]);
    const [headers] = report.tables;
    expect(headers && countOf(headers, "missing")).toBe(143); // 0, 7, …, 994
    expect(headers?.missing).toEqual(["#0", "#7", "#14", "#21", "#28"]);
    expect(headers && countOf(headers, "duplicates")).toBe(1);
    expect(headers?.expected).toBe(1000);
    expect(unmarkedCountOf(report.orphans.l2)).toBe(23); // 11, 22, …, 253
    expect(report.orphans.l2.unmarked).toHaveLength(5);
    expect(report.ok).toBe(false);
    expect(progress.at(-1)).toEqual([1250, 1250]);
    expect(progress.map(([done]) => done)).toEqual([550, 850, 1150, 1250]);
  });

  it("resumes after the last finished window from its checkpoint, with the same totals", async () => {
    // Prepare
    const checkpointFile = join(dir, "verify.json");
    const calls: { l1: [number, number]; l2: [number, number] }[] = [];
    const failing = fakeWindow(calls);
    let n = 0;
    const params = {
      ...base,
      l1Range: { from: 0, to: 999 },
      l2Range: { from: 0, to: 99 },
      windowBlocks: 250,
      checkpointFile,
    };
    // Act: the third window fails (a provider outage), then a rerun resumes.
    await expect(
      verifyInWindows({
        ...params,
        verifyWindow: async (p) => {
          if (++n === 3) throw new Error("provider down");
          return failing(p);
        },
      }),
    ).rejects.toThrow("provider down");
    calls.length = 0;
    const resumed = await verifyInWindows({ ...params, verifyWindow: fakeWindow(calls) });
    const whole = await verifyInWindows({
      ...params,
      checkpointFile: undefined,
      verifyWindow: fakeWindow([]),
    });
    // Assess
    expect(calls.map((c) => c.l1)).toEqual([
      [500, 749],
      [750, 999],
    ]);
    expect(resumed).toEqual(whole);
  });

  it("refuses a checkpoint made for other ranges, naming them", async () => {
    // Prepare
    const checkpointFile = join(dir, "verify.json");
    const common = { ...base, l2Range: { from: 0, to: 9 }, windowBlocks: 10, checkpointFile };
    await verifyInWindows({ ...common, l1Range: { from: 0, to: 19 }, verifyWindow: fakeWindow([]) });
    // Act
    const other = verifyInWindows({ ...common, l1Range: { from: 0, to: 29 }, verifyWindow: fakeWindow([]) });
    // Assess
    await expect(other).rejects.toThrow(
      /is for L1 0\.\.19, L2 0\.\.9, window 10: run with those, or remove it/,
    );
  });
});
