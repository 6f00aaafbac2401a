import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeShastaMetrics, shastaProposalFinality } from "../../../lambdas/queries/shastaMetrics.js";
import { type ClickHouseSink, createClickHouseSink } from "../../../lambdas/sink/clickhouseSink.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { skipWithoutClickHouse } from "../sink/clickhouseGate.js";
import { l1Time, P, Q, R, seedShastaMetrics } from "./shastaMetricsSeed.js";

describe.skipIf(skipWithoutClickHouse())("CLICKHOUSE_SHASTA_METRIC_QUERIES (real server)", () => {
  let server: ClickHouseServer;
  let clickhouse: ClickHouseSink;
  let duckdb: DuckDbSink;
  beforeAll(async () => {
    server = await startClickHouse();
    clickhouse = await createClickHouseSink({ url: server.url, database: "shasta_metrics" });
    duckdb = await createDuckDbSink({ path: ":memory:" });
    // Twice into ClickHouse: unmerged duplicate rows must not move any metric.
    await seedShastaMetrics(clickhouse);
    await seedShastaMetrics(clickhouse);
    await seedShastaMetrics(duckdb);
  });
  afterAll(async () => {
    await duckdb?.close();
    await clickhouse?.close();
    await server?.stop();
  });

  it("gives the hand-computed metrics of the canonical chain", async () => {
    // Act
    const m = await computeShastaMetrics(clickhouse);
    // Assess (the values of shastaMetrics.test.ts)
    expect(m.timeToFinality.samples).toBe(5);
    expect(m.timeToFinality.avg).toBeCloseTo(69.6, 9);
    expect(m.timeToFinality.p95).toBeCloseTo(124.8, 9);
    expect(m.proposalCadence.samples).toBe(4);
    expect(m.proposalCadence.avg).toBeCloseTo(33, 9);
    expect(m.provers).toEqual([
      { prover: P, proofs: 2, proposalsFinalized: 3 },
      { prover: Q, proofs: 1, proposalsFinalized: 2 },
      { prover: R, proofs: 1, proposalsFinalized: 1 },
    ]);
    expect(m.forcedInclusions).toEqual({ saved: 2, included: 3, voided: 4 });
    expect(m.bonds).toEqual({
      settlements: 2,
      slashedSettlements: 1,
      livenessBondGwei: "3000",
      creditedGwei: "2500",
      slashedGwei: "500",
    });
    expect((await shastaProposalFinality(clickhouse)).map((r) => r.seconds)).toEqual([48, 24, 132, 48, 96]);
  });

  it("equals the DuckDB metrics, whole range and windowed", async () => {
    for (const window of [
      {},
      { since: l1Time(112), until: l1Time(121) },
      { since: l1Time(106) },
      { since: 5_000_000_000 },
    ]) {
      // Act
      const [ch, dd] = [
        await computeShastaMetrics(clickhouse, window),
        await computeShastaMetrics(duckdb, window),
      ];
      // Assess: same numbers up to float rounding
      expect({ window, m: JSON.parse(JSON.stringify(ch, round)) }).toEqual({
        window,
        m: JSON.parse(JSON.stringify(dd, round)),
      });
      expect(await shastaProposalFinality(clickhouse, window)).toEqual(
        await shastaProposalFinality(duckdb, window),
      );
    }
  });
});

const round = (_: string, v: unknown) => (typeof v === "number" ? Math.round(v * 1e9) / 1e9 : v);
