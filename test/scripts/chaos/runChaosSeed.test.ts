import { describe, expect, it, vi } from "vitest";
import { chaosSchedule } from "../../../scripts/chaos/chaosSchedule.js";
import { describeSchedule, runChaosSeed } from "../../../scripts/chaos/runChaosSeed.js";
import { readDlq } from "../../../scripts/ops/readDlq.js";
import { redriveDlqInRounds } from "../../../scripts/ops/redriveDlqInRounds.js";

// Record which shipped DLQ functions run: the same two `tidemark dlq` runs (test/scripts/ops/oneDlqPath.test.ts).
vi.mock("../../../scripts/ops/readDlq.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);
vi.mock("../../../scripts/ops/redriveDlqInRounds.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);

// The chaos suite in npm test: a few seeds, each a 500-block devnet story with crashes at every named
// point, duplicates, lease loss, throttling, sink and RPC outages and poison, checked against the chain.
describe("chaos suite", () => {
  it("derives the whole schedule from the seed", () => {
    // Prepare / Act
    const a = chaosSchedule(11);
    const b = chaosSchedule(11);
    // Assess
    expect(describeSchedule(a)).toBe(describeSchedule(b));
    expect(describeSchedule(chaosSchedule(12))).not.toBe(describeSchedule(a));
    expect(a.l2Blocks).toBeGreaterThanOrEqual(500);
  });

  for (const seed of [101, 102]) {
    it(`keeps guarantees 1–5 under injected faults (seed ${seed})`, async () => {
      process.env.POWERTOOLS_METRICS_DISABLED = "true";
      process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
      // Act
      const result = await runChaosSeed(seed);
      // Assess
      expect(result.problems, describeSchedule(result.schedule)).toEqual([]);
      const crashes = Object.entries(result.injected).filter(([k]) => k.startsWith("crash:"));
      expect(crashes.length).toBeGreaterThan(0);
      expect(result.injected.poison).toBeGreaterThan(0);
      expect(result.counters.redriven).toBeGreaterThanOrEqual(result.injected.poison ?? 0);
      expect(result.counters.l2Blocks).toBeGreaterThan(500);
      expect(result.eventsChecked).toBeGreaterThan(1000);
      expect(vi.mocked(redriveDlqInRounds)).toHaveBeenCalled();
      expect(vi.mocked(readDlq)).toHaveBeenCalled();
    }, 240_000);
  }
});
