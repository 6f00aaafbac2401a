import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChainMetrics } from "../../../lambdas/queries/chainMetrics.js";
import { type ClickHouseSink, createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { skipWithoutClickHouse } from "../sink/clickhouseGate.js";
import { A, B, seedChainMetrics } from "./chainMetricsSeed.js";

describe.skipIf(skipWithoutClickHouse())("CLICKHOUSE_CHAIN_METRIC_QUERIES (real server)", () => {
  let server: ClickHouseServer;
  let clickhouse: ClickHouseSink;
  let duckdb: DuckDbSink;
  beforeAll(async () => {
    server = await startClickHouse();
    clickhouse = await createClickHouseSink({ url: server.url, database: "metrics" });
    duckdb = await createDuckDbSink({ path: ":memory:" });
    // Twice into ClickHouse: unmerged duplicate rows must not move any metric.
    await seedChainMetrics(clickhouse);
    await seedChainMetrics(clickhouse);
    await seedChainMetrics(duckdb);
  });
  afterAll(async () => {
    await duckdb?.close();
    await clickhouse?.close();
    await server?.stop();
  });

  it("gives the hand-computed metrics of the canonical chain", async () => {
    // Act
    const m = await computeChainMetrics(clickhouse);
    // Assess (the values of chainMetrics.test.ts)
    expect(m.l2BlockCadence.samples).toBe(5);
    expect(m.l2BlockCadence.avg).toBeCloseTo(2.6, 9);
    expect(m.l2BlockCadence.p95).toBeCloseTo(3.8, 9);
    expect(m.batchPostingCadence).toMatchObject({ samples: 3 });
    expect(m.batchPostingCadence.avg).toBeCloseTo(44, 9);
    expect(m.proveTime.samples).toBe(4);
    expect(m.proveTime.avg).toBeCloseTo(240, 9);
    expect(m.proveTime.p95).toBeCloseTo(280.8, 9);
    expect(m.verifyTime.samples).toBe(4);
    expect(m.verifyTime.avg).toBeCloseTo(204, 9);
    expect(m.verifyTime.p95).toBeCloseTo(238.2, 9);
    expect(m.l2Blocks).toBe(7);
    expect(m.l2Transactions).toBe(35);
    expect(m.tps).toBeCloseTo(35 / 30, 9);
    expect(m.sequencers).toEqual([
      { sequencer: A, blocks: 4, share: 4 / 7 },
      { sequencer: B, blocks: 3, share: 3 / 7 },
    ]);
    expect(m.reorgs).toEqual([
      { chain: "l1", count: 2, maxDepth: 3, avgDepth: 2 },
      { chain: "l2", count: 1, maxDepth: 1, avgDepth: 1 },
    ]);
    expect(m.forcedInclusions).toBe(1);
  });

  it("equals the DuckDB metrics, whole range and windowed", async () => {
    for (const window of [
      {},
      { since: 1000, until: 1006 },
      { since: 1_700_000_000 },
      { since: 5_000_000_000 },
    ]) {
      // Act
      const [ch, dd] = [
        await computeChainMetrics(clickhouse, window),
        await computeChainMetrics(duckdb, window),
      ];
      // Assess: same numbers up to float rounding
      expect({ window, m: JSON.parse(JSON.stringify(ch, round)) }).toEqual({
        window,
        m: JSON.parse(JSON.stringify(dd, round)),
      });
    }
  });
});

const round = (_: string, v: unknown) => (typeof v === "number" ? Math.round(v * 1e9) / 1e9 : v);
