import { afterEach, describe, expect, it } from "vitest";
import type { ApiQuery } from "../../../lambdas/api/apiParams.js";
import { readDashboardData } from "../../../lambdas/api/queries/readDashboardData.js";
import type { ReorgEvent } from "../../../lambdas/shared/events.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { L2_BLOCK_ROLLUP, selectCanonicalL2Blocks } from "../../../lambdas/sink/l2BlockRollup.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { address, hash, l2Header, record } from "../../support/events.js";

/** Block n of fork `fork` ("a" or "b"): irregular times and two sequencers, so cadence and shares move with the chain. */
const block = (fork: string, n: number, parentFork = fork) =>
  record(
    l2Header(n, {
      hash: hash(`${fork}:${n}`),
      parentHash: hash(`${parentFork}:${n - 1}`),
      timestamp: 1_700_000_000 + n * 2 + (fork === "b" ? 3 : n % 3),
      txCount: fork === "b" ? 3 : n % 7,
      miner: address(fork === "b" ? 0xb : 0xa + (n % 2)),
    }),
  );
const blocks = (fork: string, from: number, to: number, parentForkAtFrom = fork) =>
  Array.from({ length: to - from + 1 }, (_, i) => block(fork, from + i, i === 0 ? parentForkAtFrom : fork));

/** An L2 reorg with a given seq: `orphaned` fork's heights hidden, `restored` fork's shown again. */
function reorg(
  seq: number,
  orphaned: { fork: string; from: number; to: number },
  restored?: { fork: string; from: number; to: number },
): ReorgEvent {
  const refs = (r: { fork: string; from: number; to: number }) =>
    Array.from({ length: r.to - r.from + 1 }, (_, i) => ({
      number: r.from + i,
      hash: hash(`${r.fork}:${r.from + i}`),
    }));
  const head = restored ?? orphaned;
  return {
    v: 1,
    type: "reorg",
    chain: "l2",
    commonAncestor: { number: orphaned.from - 1, hash: hash(`a:${orphaned.from - 1}`) },
    depth: orphaned.to - orphaned.from + 1,
    orphaned: refs(orphaned),
    ...(restored ? { restored: refs(restored) } : {}),
    seq,
    newHead: { number: head.to, hash: hash(`${head.fork}:${head.to}`) },
    detectedAt: 1_700_001_000 + seq,
  };
}

const everything: ApiQuery = {
  range: { gte: 0, lt: 2 ** 31 - 1, clamped: false },
  block: {},
  limit: 100,
};
// A window that starts inside the chain: blocks whose parent height falls outside do not count a block time.
const recent: ApiQuery = { ...everything, range: { gte: 1_700_000_021, lt: 1_700_000_060, clamped: false } };

describe("l2_block_rollup (DuckDB)", () => {
  let sink: DuckDbSink | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it("equals the canonical view after every write of a run with reorgs, restores and replays", async () => {
    // Prepare: the same questions asked of the store without its rollup (the canonical view, from scratch)
    const s = await createDuckDbSink({ path: ":memory:" });
    sink = s;
    const fromScratch: SqlQueryable = { query: (sql, params) => s.query(sql, params) };
    const steps: [string, Parameters<DuckDbSink["write"]>[0]][] = [
      ["a 1-20", blocks("a", 1, 20)],
      // The new fork's headers before the reorg that orphans the old one: two canonical rows per height for a while.
      ["b 16-24", blocks("b", 16, 24, "a")],
      ["reorg 1: a 16-20 orphaned", [record(reorg(1, { fork: "a", from: 16, to: 20 }))]],
      // A→B→A: the old fork restored by a later reorg, whose marks arrive before a's new blocks.
      [
        "reorg 2: b 16-24 orphaned, a 16-20 restored",
        [record(reorg(2, { fork: "b", from: 16, to: 24 }, { fork: "a", from: 16, to: 20 }))],
      ],
      ["a 21-30", blocks("a", 21, 30)],
      // Marks for blocks never written, and a replayed write.
      ["reorg 3: a 29-31 orphaned (31 unseen)", [record(reorg(3, { fork: "a", from: 29, to: 31 }))]],
      ["b 29-33 and a 1-20 again", [...blocks("b", 29, 33, "a"), ...blocks("a", 1, 20)]],
    ];
    for (const [label, records] of steps) {
      // Act
      await s.write(records);
      // Assess: the table is the view's rows, and every dashboard answer equals the one from scratch
      const kept = await s.query(`SELECT * FROM ${L2_BLOCK_ROLLUP} ORDER BY block_hash`);
      const scratch = await s.query(`SELECT * FROM (${selectCanonicalL2Blocks()}) ORDER BY block_hash`);
      expect(kept, label).toEqual(scratch);
      if (label.startsWith("b 16-24")) continue; // two canonical blocks per height: lag() order is arbitrary
      for (const q of [everything, recent])
        expect(await readDashboardData(s, q), label).toEqual(await readDashboardData(fromScratch, q));
    }
    const [head] = await s.query<{ h: string }>(
      `SELECT block_hash AS h FROM ${L2_BLOCK_ROLLUP} ORDER BY l2_block_number DESC LIMIT 1`,
    );
    expect(head?.h).toBe(hash("b:33"));
    const dashboard = await readDashboardData(s, everything);
    expect(dashboard.cards.l2Head?.blockNumber).toBe(33);
    expect(dashboard.cards.tps.blocks).toBe(33);
  });
});
