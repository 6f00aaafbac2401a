import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordedTimeBounds, readRecordedTimeBounds } from "../../../lambdas/api/answerCacheKey.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { at, l1Header, l2Header, proposed, record, reorg } from "../../support/events.js";

describe("recorded time bounds", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
  });
  afterAll(async () => {
    await sink.close();
  });

  it("kept per table, equal the bounds read from every table after each write, reading only the tables written", async () => {
    // Prepare
    const statements: string[] = [];
    const bounds = createRecordedTimeBounds({
      query: (sql, params) => {
        statements.push(sql);
        return sink.query(sql, params);
      },
      tableVersions: async () => sink.tableVersions?.(),
    });
    const writes = [
      [record(l2Header(1, { timestamp: 500 }))],
      [record(l2Header(2, { timestamp: 400 }))],
      [record(proposed(1, at(10)))],
      [record(l1Header(3, { timestamp: 100 }))],
      [record(reorg("l1", 3, 3, 2_000_000_000))],
    ];
    const kept = [await bounds()];
    const scratch = [await readRecordedTimeBounds(sink)];
    const tablesRead: number[] = [];

    // Act
    for (const write of writes) {
      await sink.write(write);
      statements.length = 0;
      kept.push(await bounds());
      tablesRead.push((statements.join(" ").match(/ AS t, min\(/g) ?? []).length);
      scratch.push(await readRecordedTimeBounds(sink));
    }
    statements.length = 0;
    const again = await bounds();

    // Assess
    expect(kept).toEqual(scratch);
    expect(kept.at(-1)).toEqual({ min: 100, max: 2_000_000_000 });
    expect(kept[1]).toEqual({ min: 500, max: 500 });
    expect(kept[2]).toEqual({ min: 400, max: 500 });
    expect(tablesRead.slice(0, 2)).toEqual([1, 1]); // a new L2 header reads the L2 headers' time alone
    expect(again).toEqual(kept.at(-1));
    expect(statements).toEqual([]);
  });
});
