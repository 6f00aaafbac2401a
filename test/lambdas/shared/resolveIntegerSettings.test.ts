import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../lambdas/shared/errors.js";
import { resolveIntegerSettings } from "../../../lambdas/shared/readConfig.js";

const BOUNDS = { partitions: [1, 64], graceSeconds: [0, 60] } as const;
const NAMES = { partitions: "PARTITIONS" };

describe("resolveIntegerSettings", () => {
  it("takes a set variable over the value, and keeps the value when the variable is blank", () => {
    // Act
    const s = resolveIntegerSettings(
      { partitions: 4, graceSeconds: 10 },
      BOUNDS,
      { PARTITIONS: " 8 " },
      NAMES,
    );
    const blank = resolveIntegerSettings(
      { partitions: 4, graceSeconds: 10 },
      BOUNDS,
      { PARTITIONS: "" },
      NAMES,
    );
    // Assess
    expect(s).toEqual({ partitions: 8, graceSeconds: 10 });
    expect(blank).toEqual({ partitions: 4, graceSeconds: 10 });
  });

  it.each(["lots", "1e3", "2.5", "65", "0"])("names the variable when it is %j", (raw) => {
    // Act
    const read = () =>
      resolveIntegerSettings({ partitions: 4, graceSeconds: 10 }, BOUNDS, { PARTITIONS: raw }, NAMES);
    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/^PARTITIONS: /);
  });

  it("names the setting itself when it has no variable", () => {
    expect(() => resolveIntegerSettings({ partitions: 4, graceSeconds: 61 }, BOUNDS, {}, NAMES)).toThrow(
      "graceSeconds: expected an integer in [0, 60], got 61",
    );
  });
});
