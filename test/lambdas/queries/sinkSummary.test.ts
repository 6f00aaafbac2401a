import { afterEach, describe, expect, it } from "vitest";
import { summarizeSink } from "../../../lambdas/queries/sinkSummary.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { address, at, hash, l1Header, l2Header, proposed, record, reorg } from "../../support/events.js";
import { preconfEpoch } from "../../support/preconfEvents.js";

let sink: DuckDbSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function open(): Promise<DuckDbSink> {
  sink = await createDuckDbSink({ path: ":memory:" });
  return sink;
}

describe("summarizeSink", () => {
  it("counts an epoch read at its first block and again at an operator change as two facts, not a duplicate", async () => {
    // Prepare: both L1 blocks canonical; the second read is the same epoch after an OperatorRemoved
    const s = await open();
    await s.write([record(l1Header(7)), record(l1Header(8))]);
    await s.write([
      record(preconfEpoch(7, 1_000)),
      record(preconfEpoch(8, 1_000, { trigger: "operator_change", nextOperator: address(5) })),
    ]);
    // Act
    const summary = await summarizeSink(s);
    // Assess
    expect(summary.tables.find((t) => t.table === "preconf_epochs")).toMatchObject({
      canonicalRows: 2,
      duplicateCanonicalRows: 0,
      duplicateKeys: [],
    });
  });

  it("reports a clean sink: counts, no duplicates, contiguous headers", async () => {
    // Prepare
    const s = await open();
    await s.write([1, 2, 3].map((n) => record(l2Header(n))));
    await s.write([record(l1Header(7)), record(proposed(1, at(7)))]);
    // Act
    const summary = await summarizeSink(s);
    // Assess
    const batches = summary.tables.find((t) => t.table === "batch_blocks");
    expect(batches).toEqual({
      table: "batch_blocks",
      rows: 3,
      canonicalRows: 3,
      distinctCanonicalKeys: 3,
      duplicateCanonicalRows: 0,
      duplicateKeys: [],
    });
    expect(summary.tables.every((t) => t.duplicateCanonicalRows === 0)).toBe(true);
    expect(summary.headers).toEqual([
      {
        chain: "l1",
        table: "l1_head_events",
        minBlock: 7,
        maxBlock: 7,
        canonicalBlocks: 1,
        missingBlocks: 0,
        gaps: [],
        numbersWithSeveralHeaders: 0,
      },
      {
        chain: "l2",
        table: "l2_head_events",
        minBlock: 1,
        maxBlock: 3,
        canonicalBlocks: 3,
        missingBlocks: 0,
        gaps: [],
        numbersWithSeveralHeaders: 0,
      },
    ]);
  });

  it("finds a planted duplicate: one proposal stored as canonical from two L1 blocks", async () => {
    // Prepare: the same proposal (same tx, same key) observed in blocks 10 and 11, no reorg recorded
    const s = await open();
    const tx = { txHash: hash("tx:dup") };
    const first = record(proposed(1, at(10, tx)));
    await s.write([first, record(proposed(1, at(11, tx))), record(proposed(2, at(12)))]);
    // Act
    const summary = await summarizeSink(s);
    // Assess
    expect(summary.tables.find((t) => t.table === "batches")).toMatchObject({
      rows: 3,
      canonicalRows: 3,
      distinctCanonicalKeys: 2,
      duplicateCanonicalRows: 1,
      duplicateKeys: [first.key],
    });
    expect(summary.tables.find((t) => t.table === "batch_blocks")).toMatchObject({
      duplicateCanonicalRows: 3,
    });
  });

  it("clears the duplicate once the reorg orphaning one of its blocks is recorded, and counts orphans per chain", async () => {
    // Prepare
    const s = await open();
    const tx = { txHash: hash("tx:dup") };
    await s.write([record(proposed(1, at(10, tx))), record(proposed(1, at(11, tx)))]);
    // Act
    await s.write([record(reorg("l1", 10, 10)), record(reorg("l2", 4, 6))]);
    const summary = await summarizeSink(s);
    // Assess
    expect(summary.tables.find((t) => t.table === "batches")).toMatchObject({
      rows: 2,
      canonicalRows: 1,
      duplicateCanonicalRows: 0,
    });
    expect(summary.orphanedBlocks).toEqual({ l1: 1, l2: 3 });
  });

  it("lists the gaps in canonical header numbers and numbers with two canonical headers", async () => {
    // Prepare: L2 blocks 1–3, 5–6, 9 and a second, unorphaned hash at 5
    const s = await open();
    await s.write([1, 2, 3, 5, 6, 9].map((n) => record(l2Header(n))));
    await s.write([record(l2Header(5, { hash: hash("l2other:5") }))]);
    // Act
    const summary = await summarizeSink(s);
    // Assess
    expect(summary.headers.find((h) => h.chain === "l2")).toEqual({
      chain: "l2",
      table: "l2_head_events",
      minBlock: 1,
      maxBlock: 9,
      canonicalBlocks: 6,
      missingBlocks: 3,
      gaps: [
        { from: 4, to: 4 },
        { from: 7, to: 8 },
      ],
      numbersWithSeveralHeaders: 1,
    });
    expect(summary.headers.find((h) => h.chain === "l1")).toMatchObject({
      minBlock: null,
      canonicalBlocks: 0,
    });
  });
});
