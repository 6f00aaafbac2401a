import type { Hono } from "hono";
import { expect, it } from "vitest";
import type { Sink } from "../../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { address, at, hash, l2Header, proposed, record, reorg } from "../../support/events.js";
import { l1TxCost, l2BlockFees } from "../../support/feeEvents.js";
import { preconfEpoch } from "../../support/preconfEvents.js";
import { A, B } from "../queries/chainMetricsSeed.js";
import { ALL, allPages, getJson, type Json, seedApi, testApp } from "./helpers.js";

const T = 1_700_000_000;
const GENESIS = address(0);

/**
 * The API's numbers over the seeded store, each computed by hand from the
 * seed's events (chainMetricsSeed.ts), then again after new orphan marks.
 * Run over DuckDB and over a real ClickHouse server: one set of expectations.
 * `open` gives a fresh, empty store per call.
 */
export function apiExpectations(open: () => Promise<Sink & SqlQueryable>): void {
  const seeded = async (): Promise<{ sink: Sink & SqlQueryable; app: Hono }> => {
    const sink = await open();
    await seedApi(sink);
    return { sink, app: testApp(sink) };
  };

  it("serves each endpoint's numbers as computed from the canonical chain", async () => {
    // Prepare
    const { app } = await seeded();

    // Act
    const l1 = await getJson(app, "/v1/l1-head");
    const l2 = await getJson(app, "/v1/l2-head");
    const blocks = await getJson(app, `/v1/l2-blocks?${ALL}`);
    const times = await getJson(app, `/v1/block-times?${ALL}`);
    const histogram = await getJson(app, `/v1/block-time-histogram?${ALL}`);
    const gas = await getJson(app, `/v1/gas-used?${ALL}`);
    const tps = await getJson(app, `/v1/tps?${ALL}`);
    const sequencers = await getJson(app, `/v1/sequencers?${ALL}`);
    const reorgs = await getJson(app, `/v1/reorgs?${ALL}`);
    const l1Reorgs = await getJson(app, `/v1/reorgs?${ALL}&chain=l1`);
    const forced = await getJson(app, `/v1/forced-inclusions?${ALL}`);
    const batches = await getJson(app, `/v1/batches?${ALL}`);
    const cadence = await getJson(app, `/v1/batch-cadence?${ALL}`);
    const blobs = await getJson(app, `/v1/blobs-per-batch?${ALL}`);
    const prove = await getJson(app, `/v1/prove-times?${ALL}`);
    const verify = await getJson(app, `/v1/verify-times?${ALL}`);
    const failed = await getJson(app, `/v1/failed-proposals?${ALL}`);

    // Assess — heads: L1 22 (20 orphaned, 22 canonical), L2 8 (7 missing, 6 replaced by 6')
    expect(l1.body).toMatchObject({
      chain: "l1",
      blockNumber: 22,
      blockHash: hash("l1:22"),
      timestamp: T + 22 * 12,
    });
    expect(l2.body).toMatchObject({
      chain: "l2",
      blockNumber: 8,
      blockHash: hash("l2:8"),
      timestamp: 1030,
      miner: B,
    });
    // canonical L2: 1@1000 2@1002 3@1005 4@1006 5@1010 6'@1013 8@1030, newest first
    expect(
      blocks.body.items.map((b: Json) => [b.blockNumber, b.secondsSincePrevious, b.txCount, b.sequencer]),
    ).toEqual([
      [8, null, 15, B],
      [6, 3, 0, A],
      [5, 4, 8, B],
      [4, 1, 4, A],
      [3, 3, 0, B],
      [2, 2, 3, A],
      [1, null, 5, A],
    ]);
    expect(blocks.body.items.find((b: Json) => b.blockNumber === 6).blockHash).toBe(hash("l2alt:6"));
    expect(times.body.stats).toMatchObject({ samples: 5, avg: 2.6, p50: 3 });
    expect(times.body.items.map((t: Json) => t.seconds)).toEqual([null, 3, 4, 1, 3, 2, null]);
    expect(histogram.body).toMatchObject({
      samples: 5,
      buckets: [
        { seconds: 1, blocks: 1 },
        { seconds: 2, blocks: 1 },
        { seconds: 3, blocks: 2 },
        { seconds: 4, blocks: 1 },
      ],
    });
    expect(gas.body.items.map((g: Json) => g.gasUsed)).toEqual(Array(7).fill(1_000_000));
    expect(tps.body).toMatchObject({ blocks: 7, transactions: 35, spanSeconds: 30 });
    expect(tps.body.tps).toBeCloseTo(35 / 30, 12);
    expect(sequencers.body.items).toEqual([
      { address: A, blocks: 4, share: 4 / 7 },
      { address: B, blocks: 3, share: 3 / 7 },
    ]);
    expect(reorgs.body.items).toHaveLength(3);
    expect(l1Reorgs.body.items.map((r: Json) => [r.depth, r.orphaned.map((o: Json) => o.hash)])).toEqual(
      expect.arrayContaining([
        [1, [hash("l1:20")]],
        [3, [hash("l1:70"), hash("l1:71"), hash("l1:72")]],
      ]),
    );
    expect(reorgs.body.items.find((r: Json) => r.chain === "l2").orphaned).toEqual([
      { number: 6, hash: hash("l2:6") },
    ]);
    // fi:b sits in orphaned L1 block 20
    expect(forced.body.items.map((f: Json) => [f.blobHash, f.processedAt])).toEqual([
      [hash("fi:a"), T + 300],
    ]);
    // batch 4 first seen in orphaned block 20, canonical in 21
    expect(
      batches.body.items.map((b: Json) => [b.batchId, b.l1BlockNumber, b.proposedAt, b.blobCount]),
    ).toEqual([
      [4, 21, T + 252, 1],
      [3, 16, T + 192, 1],
      [2, 15, T + 180, 1],
      [1, 10, T + 120, 1],
    ]);
    expect(cadence.body.items.map((c: Json) => c.seconds)).toEqual([60, 12, 60, null]);
    expect(cadence.body.stats).toMatchObject({ samples: 3, avg: 44 });
    expect(blobs.body.items).toEqual([1, 2, 3, 4].reverse().map((batchId) => ({ batchId, blobCount: 1 })));
    // prove: b1 360−120, b2 372−180, b3 432−192 (its proof in orphaned block 20 ignored), b4 540−252
    expect(prove.body.items.map((p: Json) => [p.batchId, p.seconds])).toEqual([
      [4, 288],
      [3, 240],
      [2, 192],
      [1, 240],
    ]);
    expect(prove.body.stats).toMatchObject({ samples: 4, avg: 240 });
    // verify (issue 12): BatchesVerified(2)@T+600 names b:2 proved @T+372; (4)@T+660 names b:4 proved @T+540
    expect(verify.body.items.map((v: Json) => [v.batchId, v.seconds])).toEqual([
      [4, 120],
      [2, 228],
    ]);
    expect(verify.body.stats).toMatchObject({ samples: 2, avg: 174 });
    // proposer B; batch 1 = blocks 3–5 (4 by A), batch 2 = 6'–8 (6' by A), batches 3–4 have no recorded blocks
    expect(failed.body.items.map((f: Json) => [f.batchId, f.blocks])).toEqual([
      [2, [{ blockNumber: 6, sequencer: A }]],
      [1, [{ blockNumber: 4, sequencer: A }]],
    ]);
  });

  it("returns every card of dashboard-data with the same numbers as the endpoints", async () => {
    // Prepare
    const { app } = await seeded();

    // Act
    const { status, body } = await getJson(app, `/v1/dashboard-data?${ALL}`);
    const tps = await getJson(app, `/v1/tps?${ALL}`);
    const prove = await getJson(app, `/v1/prove-times?${ALL}`);
    const verify = await getJson(app, `/v1/verify-times?${ALL}`);
    const l2 = await getJson(app, "/v1/l2-head");

    // Assess
    expect(status).toBe(200);
    expect(body.cards.l2Head).toEqual(l2.body);
    expect(body.cards.l1Head.blockNumber).toBe(22);
    expect(body.cards.currentSequencer).toBe(B);
    const { range: _, ...tpsCard } = tps.body;
    expect(body.cards.tps).toEqual(tpsCard);
    expect(body.cards.proveTime).toEqual(prove.body.stats);
    expect(body.cards.verifyTime).toEqual(verify.body.stats);
    expect(body.cards.l2BlockCadence).toMatchObject({ samples: 5, avg: 2.6 });
    expect(body.cards.batchCadence).toMatchObject({ samples: 3, avg: 44 });
    expect(body.cards.reorgs).toEqual({ l1: 2, l2: 1 });
    expect(body.cards.forcedInclusions).toBe(1);
    expect(body.charts.blocks.map((b: Json) => b.blockNumber)).toEqual([1, 2, 3, 4, 5, 6, 8]);
    expect(body.charts.proveTimes.map((p: Json) => p.seconds)).toEqual([240, 192, 240, 288]);
    expect(body.charts.blobsPerBatch).toHaveLength(4);
    expect(body.charts.sequencers.map((s: Json) => s.address)).toEqual([A, B]);
  });

  it("shows the current preconf operators: the newest epoch's latest canonical read, the item /v1/preconf-operators serves, reorg-corrected", async () => {
    // Prepare: epoch E read at L1 block 40; epoch E + 384 at 44 and again at 46, where operator 1 was removed
    const { sink, app } = await seeded();
    const E = 1_700_000_256;
    const without = await getJson(app, `/v1/dashboard-data?${ALL}`);
    const next = preconfEpoch(44, E + 384);
    await sink.write([
      record(preconfEpoch(40, E)),
      record(next),
      record(
        preconfEpoch(46, E + 384, {
          trigger: "operator_change",
          currentOperator: address(2),
          nextOperator: address(2),
          operators: next.operators.slice(1),
        }),
      ),
    ]);
    const card = async () => (await getJson(app, `/v1/dashboard-data?${ALL}`)).body.cards.preconf;
    const listed = async () => (await getJson(app, `/v1/preconf-operators?${ALL}`)).body.items[0];

    // Act: then the L1 reorgs orphan block 46, then 44 as well
    const latest = { card: await card(), listed: await listed() };
    await sink.write([record(reorg("l1", 46, 46, 1_800_000_001))]);
    const afterOne = { card: await card(), listed: await listed() };
    await sink.write([record(reorg("l1", 44, 44, 1_800_000_002))]);
    const afterBoth = { card: await card(), listed: await listed() };

    // Assess: no whitelist read, no card; each card is the list's newest item
    expect(without.body.cards.preconf).toBeNull();
    expect(latest.card).toEqual(latest.listed);
    expect(latest.card).toMatchObject({
      epochStart: E + 384,
      currentOperator: address(2),
      nextOperator: address(2),
      candidates: [address(2)],
      readAt: { blockNumber: 46, blockHash: hash("l1:46") },
      observations: 2,
    });
    expect(afterOne.card).toEqual(afterOne.listed);
    expect(afterOne.card).toMatchObject({
      epochStart: E + 384,
      currentOperator: address(1),
      nextOperator: address(2),
      candidates: [address(1), address(2)],
      readAt: { blockNumber: 44 },
      observations: 1,
    });
    expect(afterBoth.card).toEqual(afterBoth.listed);
    expect(afterBoth.card).toMatchObject({ epochStart: E, readAt: { blockNumber: 40 } });
  });

  it("serves fee totals, L1 data cost, proving cost and sequencer profit, without orphaned blocks", async () => {
    // Prepare: L2 blocks 40 (share 75 %) and 41 (no share in its header); a proposing tx in L1 block 30, a proving one in 31
    const { sink, app } = await seeded();
    const proving = l1TxCost("prove", at(31), {
      costWei: "500000",
      gasUsed: "50000",
      effectiveGasPrice: "10",
      blobGasUsed: "0",
    });
    await sink.write([
      record(l2BlockFees(40)),
      record(l2BlockFees(41, { basefeeSharingPctg: null, sharedBaseFeeWei: null })),
      record(l1TxCost("propose", at(30))),
      record(proving),
    ]);
    const tip = 2n * 21_000n * 3_000_000_000n;
    const base = 42_000n * 10_000_000n;
    const dataCost = 100_000n * 20_000_000_000n + 131_072n * 3n;

    // Act
    const before = await getJson(app, `/v1/fees?${ALL}`);
    const dashboard = await getJson(app, `/v1/dashboard-data?${ALL}`);
    await sink.write([
      record(reorg("l2", 41, 41, 1_800_000_001)),
      record(reorg("l1", 31, 31, 1_800_000_002)),
    ]);
    const after = await getJson(app, `/v1/fees?${ALL}`);

    // Assess
    expect(before.body).toMatchObject({
      l2Blocks: 2,
      l2Txs: 4,
      priorityFeeWei: String(2n * tip),
      baseFeeWei: String(2n * base),
      sharedBaseFeeWei: String((base * 75n) / 100n),
      blocksWithoutShare: 1,
      proposingTxs: 1,
      l1DataCostWei: String(dataCost),
      provingTxs: 1,
      provingCostWei: "500000",
      sequencerProfitWei: String(2n * tip + (base * 75n) / 100n - dataCost - 500_000n),
    });
    expect(before.body).toMatchObject(dashboard.body.cards.fees);
    expect(after.body).toMatchObject({
      l2Blocks: 1,
      priorityFeeWei: String(tip),
      blocksWithoutShare: 0,
      provingTxs: 0,
      provingCostWei: "0",
      sequencerProfitWei: String(tip + (base * 75n) / 100n - dataCost),
    });
  });

  it("follows new orphan marks: orphaned blocks and the events in them stop counting", async () => {
    // Prepare
    const { sink, app } = await seeded();

    // Act: L2 block 8 and L1 block 16 (batch 3's proposal) are reorged out
    await sink.write([record(reorg("l2", 8, 8, 1_800_000_001)), record(reorg("l1", 16, 16, 1_800_000_002))]);
    const l2 = await getJson(app, "/v1/l2-head");
    const tps = await getJson(app, `/v1/tps?${ALL}`);
    const sequencers = await getJson(app, `/v1/sequencers?${ALL}`);
    const batches = await getJson(app, `/v1/batches?${ALL}`);
    const prove = await getJson(app, `/v1/prove-times?${ALL}`);
    const dashboard = await getJson(app, "/v1/dashboard-data?created[gte]=0&created[lt]=1800000003");

    // Assess — canonical L2 is now 1…6' (20 tx over 1013 − 1000 s)
    expect(l2.body).toMatchObject({ blockNumber: 6, blockHash: hash("l2alt:6"), miner: A });
    expect(tps.body).toMatchObject({ blocks: 6, transactions: 20, spanSeconds: 13 });
    expect(sequencers.body.items).toEqual([
      { address: A, blocks: 4, share: 4 / 6 },
      { address: B, blocks: 2, share: 2 / 6 },
    ]);
    expect(batches.body.items.map((b: Json) => [b.batchId, b.secondsSincePrevious])).toEqual([
      [4, null],
      [2, 60],
      [1, null],
    ]);
    expect(prove.body.items.map((p: Json) => p.batchId)).toEqual([4, 2, 1]);
    expect(dashboard.body.cards.reorgs).toEqual({ l1: 3, l2: 2 });
    expect(dashboard.body.cards.l2Head.blockNumber).toBe(6);
  });

  it("leaves the genesis coinbase out of the sequencers and pages through lists without gap or repeat", async () => {
    // Prepare: 25 more blocks, block 30 built by the genesis coinbase
    const { sink, app } = await seeded();
    const more = [];
    for (let n = 10; n <= 34; n++) {
      more.push(record(l2Header(n, { timestamp: 1100 + n, txCount: 1, miner: n === 30 ? GENESIS : A })));
    }
    await sink.write([...more, record(proposed(9, at(60), { proposer: A }))]);

    // Act
    const pages = await allPages<Json>(app, `/v1/l2-blocks?${ALL}`, 4);
    const sequencers = await getJson(app, `/v1/sequencers?${ALL}`);
    const whole = await getJson(app, `/v1/l2-blocks?${ALL}&limit=1000`);
    const bySequencer = await getJson(
      app,
      `/v1/l2-blocks?${ALL}&address=${B.toUpperCase().replace("0X", "0x")}`,
    );
    const bounded = await getJson(app, `/v1/l2-blocks?${ALL}&block[gte]=3&block[lt]=6`);

    // Assess
    expect(pages.map((b) => b.blockNumber)).toEqual(whole.body.items.map((b: Json) => b.blockNumber));
    expect(new Set(pages.map((b) => b.blockNumber)).size).toBe(32);
    expect(sequencers.body.items.map((s: Json) => s.address)).toEqual([A, B]);
    expect(sequencers.body.items[0].blocks).toBe(4 + 24);
    expect(bySequencer.body.items.map((b: Json) => b.blockNumber)).toEqual([8, 5, 3]);
    expect(bounded.body.items.map((b: Json) => b.blockNumber)).toEqual([5, 4, 3]);
  });

  it("answers repeated questions from its cache, equal to a fresh computation after new blocks and after a reorg", async () => {
    // Prepare: one app over the store as is (cached by its data version), one over its bare SQL (computes every answer)
    const { sink } = await seeded();
    const counted = { statements: 0 };
    const cachedApp = testApp({
      dialect: sink.dialect,
      query: (sql, params) => {
        counted.statements++;
        return sink.query(sql, params);
      },
      dataVersion: () => (sink.dataVersion as () => Promise<string | undefined>)(),
    });
    const freshApp = testApp({ dialect: sink.dialect, query: (sql, params) => sink.query(sql, params) });
    const paths = [
      `/v1/dashboard-data?${ALL}`,
      "/v1/dashboard-data?created[gte]=1005&limit=3", // the dashboard's "since …", ending now
      "/v1/l2-head",
      `/v1/l2-blocks?${ALL}&limit=4`,
      `/v1/sequencers?${ALL}`,
      `/v1/block-time-histogram?${ALL}`,
      `/v1/prove-times?${ALL}`,
      `/v1/reorgs?${ALL}`,
    ];
    const both = async () => {
      const cached = [];
      const fresh = [];
      for (const path of paths) {
        cached.push((await getJson(cachedApp, path)).body);
        fresh.push((await getJson(freshApp, path)).body);
      }
      return { cached, fresh };
    };

    // Act
    const before = await both();
    const statementsBefore = counted.statements;
    const again = await both();
    const statementsAgain = counted.statements - statementsBefore;
    await sink.write(
      [9, 10].map((n) => record(l2Header(n, { timestamp: 1030 + 2 * (n - 8), txCount: n, miner: A }))),
    );
    const afterBlocks = await both();
    await sink.write([record(reorg("l2", 10, 10))]);
    const afterReorg = await both();

    // Assess
    expect(statementsBefore).toBeGreaterThan(paths.length);
    expect(statementsAgain).toBe(0); // every repeated question answered from the cache
    for (const round of [before, again, afterBlocks, afterReorg]) expect(round.cached).toEqual(round.fresh);
    expect(again.cached).toEqual(before.cached);
    expect(afterBlocks.cached[2]).toMatchObject({ blockNumber: 10 });
    expect(afterBlocks.cached[0].cards.tps).toMatchObject({ blocks: 9, transactions: 35 + 9 + 10 });
    expect(afterReorg.cached[2]).toMatchObject({ blockNumber: 9 });
    expect(afterReorg.cached[0].cards.reorgs.l2).toBe(2);
  });

  it("keeps the dashboard's cards whose tables stand; after new blocks, a batch and reorgs its answer equals one from scratch", async () => {
    // Prepare: one app over the store with its table versions (cards kept), one over its bare SQL (every card computed)
    const { sink } = await seeded();
    const counted = { statements: 0 };
    const cachedApp = testApp({
      dialect: sink.dialect,
      query: (sql, params) => {
        counted.statements++;
        return sink.query(sql, params);
      },
      dataVersion: async () => sink.dataVersion?.(),
      tableVersions: async () => sink.tableVersions?.(),
    });
    const freshApp = testApp({ dialect: sink.dialect, query: (sql, params) => sink.query(sql, params) });
    const paths = [`/v1/dashboard-data?${ALL}`, "/v1/dashboard-data?created[gte]=1005&limit=3"];
    const round = async () => {
      const start = counted.statements;
      const cached = [];
      const fresh = [];
      for (const path of paths) {
        cached.push((await getJson(cachedApp, path)).body);
        fresh.push((await getJson(freshApp, path)).body);
      }
      return { cached, fresh, statements: counted.statements - start };
    };

    // Act
    const first = await round();
    await sink.write(
      [9, 10].map((n) => record(l2Header(n, { timestamp: 1030 + 2 * (n - 8), txCount: n, miner: B }))),
    );
    const afterBlocks = await round();
    await sink.write([record(proposed(9, at(109)))]);
    const afterBatch = await round();
    await sink.write([record(reorg("l2", 10, 10))]);
    const afterL2Reorg = await round();
    await sink.write([record(reorg("l1", 109, 109))]);
    const afterL1Reorg = await round();

    // Assess: every answer is the one from scratch
    const rounds = { first, afterBlocks, afterBatch, afterL2Reorg, afterL1Reorg };
    for (const [label, r] of Object.entries(rounds)) expect(r.cached, label).toEqual(r.fresh);
    expect(afterBlocks.cached[0].cards.l2Head).toMatchObject({ blockNumber: 10 });
    expect(afterBatch.cached[0].charts.blobsPerBatch.map((b: Json) => b.batchId)).toContain(9);
    expect(afterL2Reorg.cached[0].cards.l2Head).toMatchObject({ blockNumber: 9 });
    expect(afterL1Reorg.cached[0].charts.blobsPerBatch.map((b: Json) => b.batchId)).not.toContain(9);
    // A new L2 block or batch recomputes only the cards that read its table; a reorg's marks hide rows of
    // every canonical view, so the cards over them are computed again.
    expect(afterBlocks.statements).toBeLessThan(first.statements / 2);
    expect(afterBatch.statements).toBeLessThan(first.statements / 2);
    expect(afterL2Reorg.statements).toBeGreaterThan(afterBlocks.statements);
  });
}
