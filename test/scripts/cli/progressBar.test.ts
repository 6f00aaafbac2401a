import { describe, expect, it } from "vitest";
import { createProgressBar } from "../../../scripts/cli/progressBar.js";
import { captureIo } from "./helpers.js";

describe("createProgressBar", () => {
  it("shows done, total, rate and the time left", () => {
    // Prepare
    const io = captureIo();
    let now = 0;
    const bar = createProgressBar({
      label: "backfill l1",
      total: 1000,
      stream: io.stderr,
      unit: "blocks",
      now: () => now,
    });
    // Act
    now = 10_000;
    bar.update(250);
    bar.finish();
    // Assess
    expect(io.err()).toContain("backfill l1 [######------------------] 25% 250/1000 blocks 25.0/s ETA 30s");
  });

  it("draws nothing for --json runs", () => {
    // Prepare
    const io = captureIo();
    const bar = createProgressBar({ label: "redrive", total: 5, stream: io.stderr, enabled: false });
    // Act
    bar.update(5);
    bar.finish();
    // Assess
    expect(io.err()).toBe("");
  });
});
