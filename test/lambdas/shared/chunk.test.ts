import { describe, expect, it } from "vitest";
import { chunk } from "../../../lambdas/shared/chunk.js";

describe("chunk", () => {
  it("splits in order by count", () => {
    expect(chunk([1, 2, 3, 4, 5], { maxItems: 2 })).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], { maxItems: 2 })).toEqual([]);
  });

  it("closes a chunk before it would pass the byte limit, and gives an oversized item a chunk of its own", () => {
    const sizes = [4, 4, 3, 20, 1];
    expect(chunk(sizes, { maxItems: 10, maxBytes: 10, sizeOf: (n) => n })).toEqual([[4, 4], [3], [20], [1]]);
  });

  it("refuses a limit that can hold nothing", () => {
    expect(() => chunk([1], { maxItems: 0 })).toThrow("maxItems must be at least 1");
  });
});
