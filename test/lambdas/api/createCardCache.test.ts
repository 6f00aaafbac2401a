import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCardCache, KNOWN_RELATIONS, tablesReadBy } from "../../../lambdas/api/createCardCache.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { L2_BLOCK_ROLLUP } from "../../../lambdas/sink/l2BlockRollup.js";
import { MIGRATIONS_TABLE } from "../../../lambdas/sink/rows.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { at, l2Header, proposed, record, reorg } from "../../support/events.js";

describe("card cache", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
  });
  afterAll(async () => {
    await sink.close();
  });

  it("names the stored tables behind every relation a statement reads, views through to their tables and marks", () => {
    expect(
      [...tablesReadBy("SELECT count(*) FROM canonical_batches WHERE proposed_at >= $1")].sort(),
    ).toEqual(["batches", "block_marks"]);
    expect([...tablesReadBy("SELECT * FROM tidemark.l2_head_events FINAL")]).toEqual(["l2_head_events"]);
    expect([...tablesReadBy(`SELECT max(block_ts) FROM ${L2_BLOCK_ROLLUP}`)]).toEqual([L2_BLOCK_ROLLUP]);
    expect(tablesReadBy("SELECT 1 AS one").size).toBe(0);
  });

  it("knows every table and view of the DuckDB store, so no card can read one it does not version", async () => {
    // Prepare
    const rows = await sink.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main'",
    );
    // Assess
    const names = rows.map((r) => r.name).filter((n) => n !== MIGRATIONS_TABLE);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !KNOWN_RELATIONS.includes(n))).toEqual([]);
  });

  it("computes a card again exactly when a table it read was written, and keeps nothing it cannot version", async () => {
    // Prepare
    const store = createCardCache({ db: sink });
    let cards = store.forAnswer("q");
    let runs = 0;
    const l2Count = () =>
      cards.card("l2", async (db: SqlQueryable) => {
        runs++;
        return (await db.query<{ n: unknown }>(`SELECT count(*)::INTEGER AS n FROM ${L2_BLOCK_ROLLUP}`))[0]
          ?.n;
      });
    const batchCount = () =>
      cards.card("batches", async (db: SqlQueryable) => {
        runs++;
        return (await db.query<{ n: unknown }>("SELECT count(*)::INTEGER AS n FROM canonical_batches"))[0]?.n;
      });
    const unversioned = () =>
      cards.card("constant", async (db: SqlQueryable) => {
        runs++;
        return (await db.query<{ n: unknown }>("SELECT 1 AS n"))[0]?.n;
      });
    const all = async () => [await l2Count(), await batchCount(), await unversioned()];
    // One answer per round, as the app asks: its cards are kept when it settles.
    const runsOf = async (step: () => Promise<unknown>) => {
      await step();
      const before = runs;
      cards = store.forAnswer("q");
      const values = await all();
      await cards.settle();
      return { values, runs: runs - before };
    };

    // Act
    const first = await runsOf(async () => {});
    const again = await runsOf(async () => {});
    const afterBlock = await runsOf(() => sink.write([record(l2Header(1))]));
    const afterBatch = await runsOf(() => sink.write([record(proposed(1, at(10)))]));
    const afterReorg = await runsOf(() => sink.write([record(reorg("l1", 10, 10))]));

    // Assess: the constant card (no table named) runs every time; the others only when their tables moved
    expect(first).toEqual({ values: [0, 0, 1], runs: 3 });
    expect(again).toEqual({ values: [0, 0, 1], runs: 1 });
    expect(afterBlock).toEqual({ values: [1, 0, 1], runs: 2 });
    expect(afterBatch).toEqual({ values: [1, 1, 1], runs: 2 });
    // The marks hide the batch's L1 block: the batch card reads them (the view), the rollup card does not.
    expect(afterReorg).toEqual({ values: [1, 0, 1], runs: 2 });
  });

  it("keeps no card computed while a write to its tables landed", async () => {
    // Prepare
    const store = createCardCache({ db: sink });
    let runs = 0;
    const count = async (write: boolean) => {
      const cards = store.forAnswer("moving");
      const n = await cards.card("l2", async (db: SqlQueryable) => {
        runs++;
        const [row] = await db.query<{ n: unknown }>(`SELECT count(*)::INTEGER AS n FROM ${L2_BLOCK_ROLLUP}`);
        if (write) await sink.write([record(l2Header(50))]); // lands after the card read its rows
        return row?.n;
      });
      await cards.settle();
      return n;
    };
    // Act
    const stale = await count(true);
    const next = await count(false);
    const kept = await count(false);
    // Assess: the card read before the write is not served after it
    expect([stale, next, kept]).toEqual([1, 2, 2]);
    expect(runs).toBe(2);
  });
});
