import { describe, expect, it, vi } from "vitest";
import { readDlq } from "../../../scripts/ops/readDlq.js";
import { redriveDlqInRounds } from "../../../scripts/ops/redriveDlqInRounds.js";
import { runDrill } from "../../../scripts/pipeline/runDrill.js";

// Record which shipped DLQ functions run: the same two `tidemark dlq` runs (test/scripts/ops/oneDlqPath.test.ts).
vi.mock("../../../scripts/ops/readDlq.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);
vi.mock("../../../scripts/ops/redriveDlqInRounds.js", async (original) =>
  (await import("../support/spyOnExports.js")).spyOnExports(await original()),
);

describe("npm run drill", () => {
  it("pauses, piles up, contains poison and a faulty release, redrives the valid events once, and verifies", async () => {
    // Act
    const result = await runDrill({ pauseSeconds: 2, poison: 2 });
    // Assess
    expect(result.steps.filter((s) => !s.ok)).toEqual([]);
    expect(result.steps.map((s) => s.step)).toEqual([
      "pipeline flowing",
      "consumers paused, events pile up",
      "poison injected and a faulty release shipped",
      "resumed; backlog drained; failures contained in the DLQ with reasons",
      "redrove only the valid events; the poison stays",
      "sink matches the chain",
    ]);
    expect(result.ok).toBe(true);
    expect(vi.mocked(readDlq)).toHaveBeenCalled();
    expect(vi.mocked(redriveDlqInRounds)).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ filter: { validOnly: true } }),
    );
  });
});
