import { describe, expect, it } from "vitest";
import { runDrill } from "../../../scripts/cli/drill.js";

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
  });
});
