import { describe, expect, it } from "vitest";
import { serveBenchClients } from "../../bench/run.js";

describe("SERVE_BENCH_CLIENTS", () => {
  it("lists the fan-out sizes, none when empty, the defaults when unset, and names a bad value", () => {
    expect(serveBenchClients(undefined)).toBeUndefined();
    expect(serveBenchClients("")).toEqual([]);
    expect(serveBenchClients("100, 1000")).toEqual([100, 1000]);
    expect(() => serveBenchClients("100,lots")).toThrow(/SERVE_BENCH_CLIENTS .* got 100,lots/);
  });
});
