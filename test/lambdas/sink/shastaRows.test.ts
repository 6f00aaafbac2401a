import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../lambdas/sink/duckdbSchema.js";
import { createDuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { rowsOf } from "../../../lambdas/sink/rows.js";
import { SHASTA_CANONICAL_VIEWS, SHASTA_TABLE_NAMES } from "../../../lambdas/sink/shastaRows.js";
import { address, at, hash, record } from "../../support/events.js";
import { everyBond, shastaBond, shastaProposed, shastaProved } from "../../support/shastaEvents.js";

describe("shastaRowsOf (through rowsOf)", () => {
  it("counts a proposal's sources, forced inclusions and blobs, and gives each source its own key", () => {
    // Prepare
    const r = record(shastaProposed(9, at(20), { sources: 3, forced: 2 }));
    // Act
    const rows = rowsOf(r);
    // Assess
    expect(rows[0]).toEqual({
      table: "proposals",
      row: expect.objectContaining({
        proposal_id: 9,
        source_count: 3,
        forced_inclusion_count: 2,
        blob_count: 6,
        basefee_sharing_pctg: 75,
        l1_block_ts: 1_700_000_000 + 240,
        event_key: r.key,
        observation_id: r.observationId,
      }),
    });
    expect(
      rows
        .slice(1)
        .map(
          (x) =>
            x.table === "proposal_sources" && [
              x.row.source_index,
              x.row.is_forced_inclusion,
              x.row.event_key,
            ],
        ),
    ).toEqual([
      [0, 1, `9:${hash("tx:20")}:0-proposal_source`],
      [1, 1, `9:${hash("tx:20")}:1-proposal_source`],
      [2, 0, `9:${hash("tx:20")}:2-proposal_source`],
    ]);
    expect(rows[1]?.row).toMatchObject({
      blob_hashes: `${hash("blob:9:0:a")},${hash("blob:9:0:b")}`,
      blob_count: 2,
    });
  });

  it("writes a bond event's own fields and null for the others, and a proof's range as emitted", () => {
    // Act
    const bonds = everyBond().map((b, i) => rowsOf(record(shastaBond(b, at(30, { logIndex: i }))))[0]?.row);
    const proof = rowsOf(record(shastaProved({ first: 2, firstNew: 4, last: 6 }, at(31))))[0]?.row;
    // Assess
    expect(bonds).toEqual([
      expect.objectContaining({
        kind: "deposited",
        account: address(0xe2),
        counterparty: address(0xe1),
        amount_gwei: 5_000_000_000n,
        withdrawable_at: null,
        slashed_gwei: null,
      }),
      expect.objectContaining({
        kind: "withdrawn",
        account: address(0xe2),
        counterparty: null,
        amount_gwei: 2n ** 64n - 1n,
      }),
      expect.objectContaining({
        kind: "withdrawal_requested",
        withdrawable_at: 1_700_100_000,
        amount_gwei: null,
      }),
      expect.objectContaining({
        kind: "withdrawal_cancelled",
        account: address(0xe3),
        amount_gwei: null,
        credited_gwei: null,
      }),
      expect.objectContaining({
        kind: "liveness_bond_settled",
        account: address(0xe4),
        counterparty: address(0xe5),
        amount_gwei: 1000n,
        credited_gwei: 500n,
        slashed_gwei: 500n,
      }),
    ]);
    expect(proof).toMatchObject({
      first_proposal_id: 2,
      first_new_proposal_id: 4,
      last_proposal_id: 6,
      checkpoint_synced: null,
    });
  });
});

describe("DuckDB migration 2", () => {
  it("adds the Shasta tables and views to a database made before them, keeping its rows", async () => {
    // Prepare: a database as migration 1 left it — the Shasta tables, views and migration record removed
    const dir = mkdtempSync(join(tmpdir(), "tidemark-shasta-"));
    const path = join(dir, "old.duckdb");
    try {
      const first = await createDuckDbSink({ path });
      await first.write([record(shastaProposed(1, at(20)))]);
      for (const v of SHASTA_CANONICAL_VIEWS) await first.query(`DROP VIEW ${v.view}`);
      for (const t of SHASTA_TABLE_NAMES) await first.query(`DROP TABLE ${t}`);
      await first.query("DELETE FROM tidemark_schema_migrations WHERE version = 2");
      await first.close();
      // Act
      const reopened = await createDuckDbSink({ path });
      await reopened.write([record(shastaProposed(2, at(21)))]);
      // Assess
      const rows = await reopened.query<{ proposal_id: bigint }>(
        "SELECT proposal_id FROM canonical_proposals",
      );
      expect(rows.map((r) => Number(r.proposal_id))).toEqual([2]);
      const versions = await reopened.query<{ version: number }>(
        "SELECT version FROM tidemark_schema_migrations ORDER BY version",
      );
      // Every migration recorded once: 2 re-applied, the others (1, and 3 for api_events) kept.
      expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
