import { describe, expect, it } from "vitest";
import { createProgressBar } from "../../../scripts/cli/progressBar.js";
import { captureIo } from "./helpers.js";

describe("createProgressBar", () => {
  it("shows done, total, rate and the time left", () => {
    // Prepare
    const io = captureIo();
    const bar = createProgressBar({ label: "backfill l1", total: 1000, stream: io.stderr, unit: "blocks" });
    // Act
    bar.update(250);
    bar.finish();
    // Assess
    const last = io.err().trim().split("\n").at(-1) ?? "";
    expect(last).toMatch(/^backfill l1 \[#{6}-{18}\] 25% 250\/1000 blocks \d+(\.\d)?\/s ETA \S+$/);
  });

  it("learns a total given late", () => {
    // Prepare
    const io = captureIo();
    const bar = createProgressBar({ label: "redrive", total: 0, stream: io.stderr, unit: "messages" });
    // Act
    bar.update(3, 4);
    bar.finish();
    // Assess
    expect(io.err()).toContain("75% 3/4 messages");
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
