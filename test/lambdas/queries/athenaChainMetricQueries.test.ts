import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATHENA_CHAIN_METRIC_QUERIES } from "../../../lambdas/queries/athenaChainMetricQueries.js";
import { computeChainMetrics, DUCKDB_CHAIN_METRIC_QUERIES } from "../../../lambdas/queries/chainMetrics.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import type { SqlQueryable } from "../../../lambdas/sink/SqlQueryable.js";
import { seedChainMetrics } from "./chainMetricsSeed.js";

describe("the Athena chain-metric SQL", () => {
  let sink: DuckDbSink;
  beforeAll(async () => {
    sink = await createDuckDbSink({ path: ":memory:" });
    await seedChainMetrics(sink);
    // Athena has approx_percentile; here it stands for DuckDB's exact quantile so the numbers can be compared.
    await sink.query("CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)");
  });
  afterAll(async () => {
    await sink.close();
  });

  it("speaks Trino where DuckDB's set does not: no :: casts, no quantile_cont", () => {
    // Assess
    expect(Object.keys(ATHENA_CHAIN_METRIC_QUERIES).sort()).toEqual(
      Object.keys(DUCKDB_CHAIN_METRIC_QUERIES).sort(),
    );
    for (const sql of Object.values(ATHENA_CHAIN_METRIC_QUERIES)) {
      expect(sql).not.toMatch(/::|quantile_cont|USING \(/);
      expect(sql).toMatch(/>= \$1 AND [\w.]+ < \$2/);
    }
  });

  it("computes the same metrics as the DuckDB set over the same canonical views", async () => {
    // Prepare
    const athenaDialect: SqlQueryable = {
      dialect: "athena",
      query: (sql, params) => sink.query(sql, params),
    };
    // Act
    const viaAthenaSql = await computeChainMetrics(athenaDialect, { since: 0, until: 1_800_000_001 });
    const viaDuckDbSql = await computeChainMetrics(sink, { since: 0, until: 1_800_000_001 });
    // Assess
    expect(viaAthenaSql).toEqual(viaDuckDbSql);
    expect(viaDuckDbSql.l2Blocks).toBeGreaterThan(0);
    expect(viaDuckDbSql.proveTime.samples).toBeGreaterThan(0);
  });
});
