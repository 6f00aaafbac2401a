import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParameters } from "../../../lambdas/api/athenaQueryable.js";
import { MAX_GAPS, type SinkSummary, summarizeSink } from "../../../lambdas/queries/sinkSummary.js";
import { sinkSummarySqlOf } from "../../../lambdas/queries/sinkSummarySql.js";
import { canonicalViewOf } from "../../../lambdas/sink/canonicalViews.js";
import { createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import type { Sink } from "../../../lambdas/sink/Sink.js";
import type { SqlDialect, SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { unprovenBatchesOf } from "../../../scripts/ops/verifySink.js";
import { at, hash, l1Header, l2Header, proposed, proved, record, reorg } from "../../support/events.js";
import { skipWithoutClickHouse } from "../sink/clickhouseGate.js";

/** A sink with one of everything the summary reports: gaps, a duplicate, an orphan, two headers at one height. */
async function fill(sink: Sink): Promise<void> {
  const tx = { txHash: hash("tx:dup") };
  await sink.write([1, 2, 3, 5, 6, 9].map((n) => record(l2Header(n))));
  await sink.write([record(l2Header(5, { hash: hash("l2other:5") }))]);
  await sink.write([7, 10, 11, 12, 14, 40].map((n) => record(l1Header(n))));
  await sink.write([
    record(proposed(1, at(10, tx))),
    record(proposed(1, at(11, tx))),
    record(proposed(2, at(12))),
    record(proved(1, at(14))),
  ]);
  await sink.write([record(reorg("l2", 9, 9))]);
}

/** Every statement the summary sends, for every table, in one dialect. */
function statementsOf(dialect: SqlDialect): string[] {
  const sql = sinkSummarySqlOf(dialect);
  const out = [sql.orphanCounts()];
  for (const table of TABLE_NAMES) {
    const source = canonicalViewOf(table)?.view ?? table;
    out.push(sql.tableCounts(table, source), sql.duplicateKeys(table, source, 10));
  }
  for (const [view, n] of [
    ["canonical_l1_head_events", "l1_block_number"],
    ["canonical_l2_head_events", "l2_block_number"],
  ] as const)
    out.push(sql.headerRange(view, n), sql.headerGaps(view, n, MAX_GAPS), sql.severalHeaders(view, n));
  return out;
}

/** The same DuckDB file read as if it spoke another dialect: Athena's SQL that DuckDB also runs. */
const as = (dialect: SqlDialect, db: SqlQueryable): SqlQueryable => ({
  dialect,
  query: (sql, params) => db.query(sql, params),
});

describe("sinkSummarySqlOf", () => {
  let duck: DuckDbSink;
  let expected: SinkSummary;

  beforeAll(async () => {
    duck = await createDuckDbSink({ path: ":memory:" });
    await fill(duck);
    expected = await summarizeSink(duck);
  });
  afterAll(async () => {
    await duck?.close();
  });

  it("finds what was planted, in DuckDB", () => {
    // Assess: the fixture's gaps, duplicate, orphan and double header
    expect(expected.headers.find((h) => h.chain === "l2")).toMatchObject({
      minBlock: 1,
      maxBlock: 6,
      gaps: [{ from: 4, to: 4 }],
      numbersWithSeveralHeaders: 1,
    });
    expect(expected.headers.find((h) => h.chain === "l1")?.gaps).toEqual([
      { from: 8, to: 9 },
      { from: 13, to: 13 },
      { from: 15, to: 39 },
    ]);
    expect(expected.tables.find((t) => t.table === "batches")).toMatchObject({ duplicateCanonicalRows: 1 });
    expect(expected.orphanedBlocks).toEqual({ l1: 0, l2: 1 });
  });

  it("writes Athena's statements in Trino SQL: no DuckDB casts, no ordinals or aliases in GROUP BY, no quoted names, every derived table named", () => {
    // Act
    const statements = statementsOf("athena");
    // Assess
    for (const sql of statements) {
      expect(sql, sql).not.toMatch(/::/);
      expect(sql, sql).not.toMatch(/"/);
      expect(sql, sql).not.toMatch(/GROUP BY \d/);
      // A derived table in FROM carries a name (Trino allows none, but names make errors readable).
      for (const m of sql.matchAll(/FROM \(/g)) {
        let depth = 0;
        let i = (m.index ?? 0) + 5;
        for (; i < sql.length; i++) {
          depth += sql[i] === "(" ? 1 : sql[i] === ")" ? -1 : 0;
          if (depth === 0) break;
        }
        expect(sql.slice(i + 1), sql).toMatch(/^\s*AS \w+/);
      }
      // No `$n` placeholders and nothing Athena's binder would change.
      expect(bindParameters(sql, [])).toEqual({ sql, values: [] });
    }
  });

  it("Athena's statements, run by DuckDB on the same rows, give the same summary", async () => {
    // Act
    const summary = await summarizeSink(as("athena", duck));
    // Assess
    expect(summary).toEqual(expected);
  });

  it("verify's unproven-batch statements give the same batches in both spellings", async () => {
    // Act
    const duckdb = await unprovenBatchesOf(duck, 60);
    const athena = await unprovenBatchesOf(as("athena", duck), 60);
    // Assess: batch 2 (L1 block 12) has no proof; L1's newest header is block 40
    expect(duckdb).toEqual([{ batchId: 2, proposedAt: 1_700_000_144, ageSeconds: 28 * 12 }]);
    expect(athena).toEqual(duckdb);
  });
});

describe.skipIf(skipWithoutClickHouse())("ClickHouse 18.16 (real server)", () => {
  let server: ClickHouseServer;
  let duck: DuckDbSink;
  beforeAll(async () => {
    server = await startClickHouse();
    duck = await createDuckDbSink({ path: ":memory:" });
    await fill(duck);
  }, 60_000);
  afterAll(async () => {
    await duck?.close();
    await server?.stop();
  });

  it("runs ClickHouse's statements and gives the same summary and unproven batches as DuckDB", async () => {
    // Prepare
    const sink = await createClickHouseSink({ url: server.url, database: "summary" });
    try {
      await fill(sink);
      // Act
      const summary = await summarizeSink(sink);
      const unproven = await unprovenBatchesOf(sink, 60);
      // Assess
      expect(summary).toEqual(await summarizeSink(duck));
      expect(unproven).toEqual(await unprovenBatchesOf(duck, 60));
    } finally {
      await sink.close();
    }
  }, 60_000);
});
