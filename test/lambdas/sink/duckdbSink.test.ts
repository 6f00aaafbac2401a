import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidMessageError, PermanentError, SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import { CURRENT_ORPHANS_VIEW } from "../../../lambdas/sink/canonicalViews.js";
import { CREATE_MIGRATIONS_TABLE, MIGRATIONS } from "../../../lambdas/sink/duckdbSchema.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { MIGRATIONS_TABLE, TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import { SHASTA_TABLE_NAMES } from "../../../lambdas/sink/shastaRows.js";
import {
  at,
  forcedInclusion,
  hash,
  l1Header,
  l2Header,
  proposed,
  proved,
  record,
  reorg,
  uncheckedRecord,
  verified,
} from "../../support/events.js";

const open: DuckDbSink[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sink(path = ":memory:"): Promise<DuckDbSink> {
  const s = await createDuckDbSink({ path });
  open.push(s);
  return s;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tidemark-sink-"));
  dirs.push(d);
  return d;
}

async function counts(s: DuckDbSink): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLE_NAMES) {
    const [row] = await s.query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${t}`);
    out[t] = row?.n ?? -1;
  }
  return out;
}

/** One record of every event type; 2 + 1 + 3 + 1 + 1 + 1 + 1 + 2 rows. */
const mixed = () => [
  record(l1Header(10)),
  record(l2Header(5)),
  record(proposed(1, at(10))),
  record(proved(1, at(11))),
  record(verified(1, at(12))),
  record(forcedInclusion("a", at(12, { logIndex: 1 }))),
  record(reorg("l2", 3, 4)),
  record(l1Header(11)),
];

const expectedCounts = {
  l1_head_events: 2,
  l2_head_events: 1,
  batches: 1,
  batch_blocks: 3,
  proved_batches: 1,
  verified_batches: 1,
  forced_inclusion_processed: 1,
  reorgs: 1,
  block_marks: 2,
  // The Shasta tables exist from the start (migration 2); these records write none of them.
  ...Object.fromEntries(SHASTA_TABLE_NAMES.map((t) => [t, 0])),
  // The ingest API's table exists from the start (migration 3); these records write none of it.
  api_events: 0,
  // The fee tables exist from the start (migration 5); these records write none of them.
  l2_block_fees: 0,
  l1_tx_costs: 0,
  // The preconf table exists from the start (migration 7); these records write none of it.
  preconf_epochs: 0,
};

describe("createDuckDbSink", () => {
  it("stores each row once however the same records are batched and ordered", async () => {
    // Prepare
    const s = await sink();
    const records = mixed();
    // Act: all at once, then reversed in threes, then one by one, then a batch holding a record twice
    await s.write(records);
    const reversed = [...records].reverse();
    for (let i = 0; i < reversed.length; i += 3) await s.write(reversed.slice(i, i + 3));
    for (const r of records) await s.write([r]);
    await s.write([records[2], records[2], records[6]].flatMap((r) => (r ? [r] : [])));
    // Assess
    expect(await counts(s)).toEqual(expectedCounts);
  });

  it("keeps committed rows across close and reopen, and reapplies its migrations harmlessly", async () => {
    // Prepare
    const path = join(tempDir(), "sink.duckdb");
    const first = await createDuckDbSink({ path });
    await first.write(mixed());
    await first.close();
    // Act
    const second = await sink(path);
    await second.write(mixed());
    // Assess
    expect(await counts(second)).toEqual(expectedCounts);
    expect(await second.health()).toMatchObject({ ok: true });
  });

  it("migrates a database made before block marks: its orphans stay hidden and a later restore shows them", async () => {
    // Prepare: a file that ran migrations 1–3 only, with an L2 block and its legacy orphan row
    const path = join(tempDir(), "old.duckdb");
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    await conn.run(CREATE_MIGRATIONS_TABLE);
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
      for (const statement of m.statements) await conn.run(statement);
      await conn.run(`INSERT INTO ${MIGRATIONS_TABLE} (version, description) VALUES (${m.version}, 'old')`);
    }
    const old = record(reorg("l2", 4, 4));
    await conn.run(
      "INSERT INTO orphaned_blocks (chain, block_number, block_hash, reorg_key, event_key, observation_id) " +
        `VALUES ('l2', 4, '${hash("l2:4")}', '${old.key}', '${old.key}', '${old.observationId}')`,
    );
    conn.closeSync();
    db.closeSync();
    // Act
    const s = await sink(path);
    await s.write([record(l2Header(3)), record(l2Header(4))]);
    const hidden = await s.query(
      "SELECT l2_block_number::INTEGER AS n FROM canonical_l2_head_events ORDER BY n",
    );
    const orphans = await s.query(`SELECT block_hash AS h FROM ${CURRENT_ORPHANS_VIEW}`);
    await s.write([
      record({ ...reorg("l2", 4, 4), seq: 1, orphaned: [], restored: [{ number: 4, hash: hash("l2:4") }] }),
    ]);
    const restored = await s.query(
      "SELECT l2_block_number::INTEGER AS n FROM canonical_l2_head_events ORDER BY n",
    );
    // Assess
    expect(hidden).toEqual([{ n: 3 }]);
    expect(orphans).toEqual([{ h: hash("l2:4") }]);
    expect(restored).toEqual([{ n: 3 }, { n: 4 }]);
  });

  it("serializes concurrent writes of overlapping records into one row each", async () => {
    // Prepare
    const s = await sink();
    const records = mixed();
    // Act: three writers race over the same records
    await Promise.all([s.write(records), s.write([...records].reverse()), s.write(records.slice(2, 5))]);
    // Assess
    expect(await counts(s)).toEqual(expectedCounts);
  });

  it("refuses a second writer on the same file in this process (DuckDB is single-writer)", async () => {
    // Prepare
    const path = join(tempDir(), "sink.duckdb");
    const first = await sink(path);
    // Act / Assess
    await expect(createDuckDbSink({ path })).rejects.toBeInstanceOf(PermanentError);
    await first.close();
    const again = await sink(path);
    expect(await again.health()).toMatchObject({ ok: true });
  });

  it("stores 128-bit fees exactly and exports them exactly to Parquet", async () => {
    // Prepare
    const s = await sink();
    await s.write([record(l2Header(1, { gasUsed: String(2 ** 40), baseFeePerGas: String(2 ** 40) }))]);
    const file = join(tempDir(), "l2.parquet");
    // Act
    await s.exportParquet("canonical_l2_head_events", file);
    // Assess
    const stored = await s.query<{ fee: bigint }>("SELECT sum_base_fee AS fee FROM l2_head_events");
    const exported = await s.query<{ fee: string; n: bigint }>(
      `SELECT sum_base_fee::VARCHAR AS fee, l2_block_number AS n FROM read_parquet('${file}')`,
    );
    expect(stored).toEqual([{ fee: 2n ** 80n }]);
    expect(exported).toEqual([{ fee: (2n ** 80n).toString(), n: 1n }]);
  });

  it("hides the rows of orphaned blocks from the canonical views and shows the new chain's", async () => {
    // Prepare: L2 blocks 1–5, then 4–5 replaced; an L1 proposal in block 20 moved to block 21 by an L1 reorg
    const s = await sink();
    const oldChain = [1, 2, 3, 4, 5].map((n) => record(l2Header(n)));
    const newChain = [4, 5].map((n) =>
      record(l2Header(n, { hash: hash(`l2alt:${n}`), parentHash: hash(n === 4 ? "l2:3" : "l2alt:4") })),
    );
    const movedTx = { txHash: hash("tx:moved") };
    const inOrphan = [
      record(proposed(4, at(20, movedTx))),
      record(proved(3, at(20, { logIndex: 1 }))),
      record(verified(3, at(20, { logIndex: 2 }))),
      record(forcedInclusion("b", at(20, { logIndex: 3 }))),
      record(l1Header(20)),
    ];
    const reobserved = record(proposed(4, at(21, movedTx)));
    // Act: the reorg may arrive before or after the rows it orphans (partitions are unordered)
    await s.write([...oldChain, record(reorg("l2", 4, 5))]);
    await s.write([...newChain, ...inOrphan, reobserved]);
    await s.write([record(reorg("l1", 20, 20)), record(l1Header(21))]);
    // Assess
    const l2 = await s.query<{ n: bigint; h: string }>(
      "SELECT l2_block_number AS n, block_hash AS h FROM canonical_l2_head_events ORDER BY n",
    );
    expect(l2.map((r) => [Number(r.n), r.h])).toEqual([
      [1, hash("l2:1")],
      [2, hash("l2:2")],
      [3, hash("l2:3")],
      [4, hash("l2alt:4")],
      [5, hash("l2alt:5")],
    ]);
    const canonical = async (view: string) =>
      (await s.query<{ h: string }>(`SELECT l1_block_hash AS h FROM ${view}`)).map((r) => r.h);
    expect(await canonical("canonical_batches")).toEqual([hash("l1:21")]);
    expect(await canonical("canonical_batch_blocks")).toEqual([hash("l1:21"), hash("l1:21"), hash("l1:21")]);
    expect(await canonical("canonical_proved_batches")).toEqual([]);
    expect(await canonical("canonical_verified_batches")).toEqual([]);
    expect(await canonical("canonical_forced_inclusion_processed")).toEqual([]);
    const l1 = await s.query<{ h: string }>("SELECT block_hash AS h FROM canonical_l1_head_events");
    expect(l1.map((r) => r.h)).toEqual([hash("l1:21")]);
    // The orphaned rows are kept (marked), not deleted
    expect(await counts(s)).toMatchObject({ l2_head_events: 7, batches: 2, l1_head_events: 2 });
  });

  it("orphans a hash only on the chain that reorged (two devnets can share block hashes)", async () => {
    // Prepare: an L2 block with the very hash of the L1 block the L1 reorg drops
    const s = await sink();
    await s.write([
      record(l1Header(30)),
      record(l2Header(30, { hash: hash("l1:30") })),
      record(reorg("l1", 30, 30)),
    ]);
    // Act
    const l1 = await s.query("SELECT * FROM canonical_l1_head_events");
    const l2 = await s.query("SELECT * FROM canonical_l2_head_events");
    // Assess
    expect(l1).toHaveLength(0);
    expect(l2).toHaveLength(1);
  });

  it("fails a write as SinkUnavailableError and commits none of it when DuckDB fails mid-batch", async () => {
    // Prepare: a table the batch needs has gone
    const s = await sink();
    await s.query("DROP TABLE verified_batches");
    // Act
    const write = s.write([record(l1Header(1)), record(verified(1, at(2)))]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(SinkUnavailableError);
    await expect(write).rejects.toMatchObject({ retryable: true });
    const [row] = await s.query<{ n: number }>("SELECT count(*)::INTEGER AS n FROM l1_head_events");
    expect(row?.n).toBe(0);
  });

  it("fails writes and queries on a closed sink as SinkUnavailableError", async () => {
    // Prepare
    const s = await createDuckDbSink({ path: ":memory:" });
    await s.close();
    // Act / Assess
    await expect(s.write([record(l1Header(1))])).rejects.toBeInstanceOf(SinkUnavailableError);
    await expect(s.query("SELECT 1")).rejects.toBeInstanceOf(SinkUnavailableError);
  });

  it("fails to open an unusable path as SinkUnavailableError", async () => {
    const path = join(tempDir(), "missing-dir", "sink.duckdb");
    await expect(createDuckDbSink({ path })).rejects.toBeInstanceOf(SinkUnavailableError);
  });

  it("reports invalid input as the permanent error it is, not as a sink outage", async () => {
    const s = await sink();
    const bad = uncheckedRecord(proposed(1, at(2), { lastBlockId: 0, blockCount: 5 }));
    await expect(s.write([record(l1Header(1)), bad])).rejects.toBeInstanceOf(InvalidMessageError);
    expect((await counts(s)).l1_head_events).toBe(0);
  });
});
