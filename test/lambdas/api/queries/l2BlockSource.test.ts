import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantileCont } from "../../../../lambdas/api/queries/l2BlockSource.js";
import { createDuckDbSink, type DuckDbSink } from "../../../../lambdas/sink/duckdbSink.js";

describe("quantileCont over a histogram", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
  });
  afterAll(async () => {
    await sink.close();
  });

  it("equals DuckDB's quantile_cont over the same values, to the last bit", async () => {
    // Prepare: histograms of irregular block times, some with a single value or a long tail
    let seed = 7;
    const next = (m: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % m;
    };
    const cases = Array.from({ length: 40 }, (_, i) => {
      const values = Array.from(
        { length: 1 + next(i < 20 ? 12 : 400) },
        () => next(i % 3 === 0 ? 3 : 40) * 3 + 1,
      );
      return values;
    });
    for (const values of cases) {
      const counts = new Map<number, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      const histogram = [...counts].sort(([a], [b]) => a - b).map(([dt, n]) => ({ dt, n }));
      // Act
      const [duck] = await sink.query<{ p50: number; p95: number }>(
        `SELECT quantile_cont(v, 0.5)::DOUBLE AS p50, quantile_cont(v, 0.95)::DOUBLE AS p95 FROM (SELECT unnest([${values.join(",")}]::BIGINT[]) AS v)`,
      );
      // Assess
      expect({
        p50: quantileCont(histogram, values.length, 0.5),
        p95: quantileCont(histogram, values.length, 0.95),
      }).toEqual(duck);
    }
  });

  it("refuses a rank past the values it holds", () => {
    expect(() => quantileCont([{ dt: 2, n: 1 }], 3, 0.95)).toThrow(/rank 1 is past the 3 values/);
  });
});
