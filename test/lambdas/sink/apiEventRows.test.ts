import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { API_TABLE_NAMES } from "../../../lambdas/sink/apiEventRows.js";
import { MIGRATIONS } from "../../../lambdas/sink/duckdbSchema.js";
import { createDuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { apiEvent, l1Header, record } from "../../support/events.js";

describe("DuckDB migration 3", () => {
  it("adds api_events to a database made before it, keeping its rows, and stores each API event once", async () => {
    // Prepare: a database as migrations 1 and 2 left it — api_events and its migration record removed.
    const dir = mkdtempSync(join(tmpdir(), "tidemark-api-events-"));
    const path = join(dir, "old.duckdb");
    try {
      const first = await createDuckDbSink({ path });
      await first.write([record(l1Header(1))]);
      for (const t of API_TABLE_NAMES) await first.query(`DROP TABLE ${t}`);
      await first.query("DELETE FROM tidemark_schema_migrations WHERE version = 3");
      await first.close();
      // Act: reopen, then write the same events twice (a redelivery) and a second stream.
      const reopened = await createDuckDbSink({ path });
      const events = [record(apiEvent("ops", 1)), record(apiEvent("ops", 2)), record(apiEvent("other", 1))];
      await reopened.write(events);
      await reopened.write([...events].reverse());
      // Assess
      const rows = await reopened.query<{ stream: string; sequence: bigint }>(
        "SELECT stream, sequence FROM api_events ORDER BY stream, sequence",
      );
      expect(rows.map((r) => `${r.stream}#${r.sequence}`)).toEqual(["ops#1", "ops#2", "other#1"]);
      const [heads] = await reopened.query<{ n: bigint }>("SELECT count(*) AS n FROM l1_head_events");
      expect(heads?.n).toBe(1n);
      const versions = await reopened.query<{ version: number }>(
        "SELECT version FROM tidemark_schema_migrations ORDER BY version",
      );
      expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
