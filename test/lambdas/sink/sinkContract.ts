import { afterEach, describe, expect, it } from "vitest";
import { SinkUnavailableError } from "../../../lambdas/shared/errors.js";
import { canonicalViewOf } from "../../../lambdas/sink/canonicalViews.js";
import { PRIMARY_KEYS, rowsOf, TABLE_NAMES, type TableName } from "../../../lambdas/sink/rows.js";
import type { Sink, SinkRecord } from "../../../lambdas/sink/Sink.js";
import { SHASTA_TABLE_NAMES } from "../../../lambdas/sink/shastaRows.js";
import {
  apiEvent,
  at,
  forcedInclusion,
  hash,
  l1Header,
  l2Header,
  proposed,
  proved,
  record,
  reorg,
  verified,
} from "../../support/events.js";
import {
  everyBond,
  settledBond,
  shastaActivated,
  shastaBond,
  shastaProposalBlock,
  shastaProposed,
  shastaProved,
  shastaSaved,
  shastaStateRecovered,
  shastaVoided,
} from "../../support/shastaEvents.js";

/**
 * What the contract needs from an adapter under test: the sink, a way to read
 * back what its readers would see, and a way to make its store fail.
 */
export interface SinkContractHarness {
  readonly sink: Sink;
  /**
   * The rows readers see in a table's canonical view (the table itself for
   * reorgs and block_marks), each as its primary key (PRIMARY_KEYS values
   * joined by "|"), sorted. Duplicates must show as repeated entries.
   */
  canonicalRows(table: TableName): Promise<string[]>;
  /** Makes writes touching verified_batches fail the way the store fails; resolves with a function that heals it. */
  breakStore(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A row's identity in the contract: its primary key values joined. */
export const rowIdentity = (table: TableName, row: Readonly<Record<string, unknown>>): string =>
  PRIMARY_KEYS[table].map((k) => String(row[k])).join("|");

/**
 * The reference semantics every adapter must match: rows upserted by primary
 * key, then each canonical view dropping rows whose block hash's latest mark
 * of the same chain (by seq, then part) is an orphan mark. Used for expected values, and by adapters whose store
 * is not queryable here (Firehose: the delivered records folded as the Iceberg
 * tables' unique keys and the Athena views would).
 */
export function foldCanonical(
  rows: readonly { readonly table: TableName; readonly row: Readonly<Record<string, unknown>> }[],
): Map<TableName, string[]> {
  const byKey = new Map<TableName, Map<string, Readonly<Record<string, unknown>>>>();
  for (const t of TABLE_NAMES) byKey.set(t, new Map());
  for (const { table, row } of rows) byKey.get(table)?.set(rowIdentity(table, row), row);
  // A block's latest mark (by seq, then part; orphaned over restored within one part) decides.
  const latest = new Map<string, { order: [number, number, number]; orphaned: boolean }>();
  for (const m of byKey.get("block_marks")?.values() ?? []) {
    const at = `${m.chain}:${m.block_hash}`;
    const orphaned = m.state === "orphaned";
    const order: [number, number, number] = [Number(m.seq), Number(m.part), orphaned ? 1 : 0];
    const seen = latest.get(at);
    if (seen === undefined || compareOrder(order, seen.order) > 0) latest.set(at, { order, orphaned });
  }
  const orphaned = new Set([...latest].filter(([, m]) => m.orphaned).map(([at]) => at));
  const out = new Map<TableName, string[]>();
  for (const table of TABLE_NAMES) {
    const view = canonicalViewOf(table);
    const kept = [...(byKey.get(table)?.entries() ?? [])].filter(
      ([, row]) => view === undefined || !orphaned.has(`${view.chain}:${String(row[view.hashColumn])}`),
    );
    out.set(table, kept.map(([k]) => k).sort());
  }
  return out;
}

const compareOrder = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((c, x, i) => c || x - (b[i] ?? 0), 0);

const expectedOf = (records: readonly SinkRecord[]) =>
  foldCanonical(records.flatMap(rowsOf).map(({ table, row }) => ({ table, row: { ...row } })));

/** For SQL adapters: canonicalRows over their query function (`from` names where a table's rows are read). */
export function sqlCanonicalRows(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  from: (table: TableName) => string = (table) => canonicalViewOf(table)?.view ?? table,
): (table: TableName) => Promise<string[]> {
  return async (table) => {
    const rows = await query(`SELECT ${PRIMARY_KEYS[table].join(", ")} FROM ${from(table)}`);
    return rows.map((r) => rowIdentity(table, r)).sort();
  };
}

/** One record of every event type, an L2 reorg among them. */
const mixed = (): SinkRecord[] => [
  record(l1Header(10)),
  record(l2Header(5)),
  record(l2Header(3)),
  record(proposed(1, at(10))),
  record(proved(1, at(11))),
  record(verified(1, at(12))),
  record(forcedInclusion("a", at(12, { logIndex: 1 }))),
  record(reorg("l2", 3, 4)),
  record(l1Header(11)),
  record(apiEvent("ops", 1)),
  record(apiEvent("ops", 2, { nested: { list: [1, 2] } })),
  record(apiEvent("other", 1)),
];

/** One record of every Shasta event, every bond kind, and the genesis proposal (no sources). */
const shastaMixed = (): SinkRecord[] => [
  record(shastaActivated(at(40))),
  record(shastaProposed(0, at(40, { logIndex: 1 }), { sources: 0 })),
  record(shastaProposed(1, at(41), { sources: 3, forced: 1 })),
  record(shastaProved({ first: 1, firstNew: 1, last: 1 }, at(42))),
  record(shastaSaved(at(43))),
  record(shastaSaved(at(43, { logIndex: 1 }), 1)),
  ...everyBond().map((b, i) => record(shastaBond(b, at(44, { logIndex: i })))),
  record(shastaStateRecovered(at(45))),
  record(shastaVoided(at(45, { logIndex: 1 }))),
  record(shastaProposalBlock(7, 1)),
  record(shastaProposalBlock(8, 1)),
];

async function readAll(h: SinkContractHarness): Promise<Map<TableName, string[]>> {
  const out = new Map<TableName, string[]>();
  for (const t of TABLE_NAMES) out.set(t, await h.canonicalRows(t));
  return out;
}

/**
 * The sink contract (DESIGN.md "Columnar sink"): every adapter must pass it.
 * `makeSink` builds a fresh, empty store per test.
 */
export function describeSinkContract(
  name: string,
  makeSink: () => Promise<SinkContractHarness>,
  options: { readonly skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`sink contract: ${name}`, () => {
    const open: SinkContractHarness[] = [];
    afterEach(async () => {
      for (const h of open.splice(0)) await h.close();
    });
    const harness = async () => {
      const h = await makeSink();
      open.push(h);
      return h;
    };

    it("leaves one row each however the same records are batched, ordered and raced", async () => {
      // Prepare
      const h = await harness();
      const records = mixed();
      const reversed = [...records].reverse();
      // Act: all at once; reversed in threes; one by one; a batch holding a record twice; three racing writers
      await h.sink.write(records);
      for (let i = 0; i < reversed.length; i += 3) await h.sink.write(reversed.slice(i, i + 3));
      for (const r of records) await h.sink.write([r]);
      await h.sink.write([records[3], records[3], records[7]].flatMap((r) => (r ? [r] : [])));
      await Promise.all([h.sink.write(records), h.sink.write(reversed), h.sink.write(records.slice(2, 6))]);
      // Assess
      const actual = await readAll(h);
      expect(actual).toEqual(expectedOf(records));
      expect(actual.get("batch_blocks")).toHaveLength(3);
      expect(actual.get("l2_head_events")).toEqual([hash("l2:5")]);
    });

    it("excludes a reorg's orphans from the canonical views, whichever arrives first, and shows the new chain", async () => {
      // Prepare: L2 1–5 then 4–5 replaced; L1 block 20 (holding inbox logs) replaced, its proposal re-included in 21
      const h = await harness();
      const oldChain = [1, 2, 3, 4, 5].map((n) => record(l2Header(n)));
      const newChain = [4, 5].map((n) =>
        record(l2Header(n, { hash: hash(`l2alt:${n}`), parentHash: hash(n === 4 ? "l2:3" : "l2alt:4") })),
      );
      const movedTx = { txHash: hash("tx:moved") };
      const inOrphan = [
        record(l1Header(20)),
        record(proposed(4, at(20, movedTx))),
        record(proved(3, at(20, { logIndex: 1 }))),
        record(verified(3, at(20, { logIndex: 2 }))),
        record(forcedInclusion("b", at(20, { logIndex: 3 }))),
      ];
      const reincluded = record(proposed(4, at(21, movedTx)));
      // Act: the L2 reorg after its orphans, the L1 reorg before some of its orphans
      await h.sink.write([...oldChain, record(reorg("l2", 4, 5))]);
      await h.sink.write([record(reorg("l1", 20, 20)), ...inOrphan.slice(0, 2)]);
      await h.sink.write([...newChain, ...inOrphan.slice(2), reincluded, record(l1Header(21))]);
      // Assess
      const actual = await readAll(h);
      expect(actual.get("l2_head_events")).toEqual(
        [hash("l2:1"), hash("l2:2"), hash("l2:3"), hash("l2alt:4"), hash("l2alt:5")].sort(),
      );
      expect(actual.get("l1_head_events")).toEqual([hash("l1:21")]);
      expect(actual.get("batches")).toEqual([reincluded.observationId]);
      expect(actual.get("batch_blocks")).toEqual([12, 13, 14].map((n) => `${reincluded.observationId}|${n}`));
      for (const t of ["proved_batches", "verified_batches", "forced_inclusion_processed"] as const) {
        expect({ t, rows: actual.get(t) }).toEqual({ t, rows: [] });
      }
      expect(actual.get("block_marks")).toHaveLength(3);
      expect(actual).toEqual(
        expectedOf([
          ...oldChain,
          ...newChain,
          ...inOrphan,
          reincluded,
          record(l1Header(21)),
          record(reorg("l2", 4, 5)),
          record(reorg("l1", 20, 20)),
        ]),
      );
    });

    it("restores an A→B→A flip: the latest mark by seq wins, whichever reorg arrives first, replays change nothing", async () => {
      // Prepare: L2 1–5 (A), a fork B at 4–5 with a proposal logged in L1 block 30, then back to A.
      const h = await harness();
      const chainA = [1, 2, 3, 4, 5].map((n) => record(l2Header(n)));
      const chainB = [4, 5].map((n) =>
        record(l2Header(n, { hash: hash(`l2alt:${n}`), parentHash: hash(n === 4 ? "l2:3" : "l2alt:4") })),
      );
      const a = (n: number) => ({ number: n, hash: hash(`l2:${n}`) });
      const b = (n: number) => ({ number: n, hash: hash(`l2alt:${n}`) });
      const toB = record({ ...reorg("l2", 4, 5), seq: 1 });
      const backToA = record({
        ...reorg("l2", 4, 5),
        seq: 2,
        orphaned: [b(4), b(5)],
        restored: [a(4), a(5)],
      });
      // An L1 flip too: block 30 orphaned (seq 7), then restored (seq 8); its proposal is canonical again.
      const l1Block = [record(l1Header(30)), record(proposed(9, at(30)))];
      const l1Away = record({ ...reorg("l1", 30, 30), seq: 7 });
      const l1Back = record({
        ...reorg("l1", 30, 30),
        seq: 8,
        orphaned: [],
        restored: [{ number: 30, hash: hash("l1:30") }],
      });
      // Act: the flip back before the flip away; every mark replayed, alone and in one batch
      await h.sink.write([...chainA, ...l1Block]);
      await h.sink.write([backToA, l1Back]);
      await h.sink.write([...chainB, toB, l1Away]);
      const before = await readAll(h);
      for (const r of [toB, backToA, l1Away, l1Back]) await h.sink.write([r]);
      await h.sink.write([l1Back, toB, backToA, l1Away]);
      // Assess
      const actual = await readAll(h);
      expect(actual).toEqual(before);
      expect(actual.get("l2_head_events")).toEqual(
        chainA.map((r) => (r.event as { hash: string }).hash).sort(),
      );
      expect(actual.get("l1_head_events")).toEqual([hash("l1:30")]);
      expect(actual.get("batches")).toHaveLength(1);
      expect(actual.get("block_marks")).toHaveLength(8);
      expect(actual).toEqual(expectedOf([...chainA, ...chainB, ...l1Block, toB, backToA, l1Away, l1Back]));
    });

    it("applies the parts of a split reorg in any order; a later seq beats any part of an earlier one", async () => {
      // Prepare: reorg seq 3 orphans L2 4–7 in two parts; seq 4 (one part) restores 6 and 7.
      const h = await harness();
      const blocks = [3, 4, 5, 6, 7].map((n) => record(l2Header(n)));
      const marks = (from: number, to: number) => reorg("l2", from, to).orphaned;
      const part = (index: number, orphaned: ReturnType<typeof marks>) =>
        record({ ...reorg("l2", 4, 7), seq: 3, orphaned, part: { index, count: 2 } });
      const part0 = part(0, marks(4, 5));
      const part1 = part(1, marks(6, 7));
      const later = record({ ...reorg("l2", 6, 7), seq: 4, orphaned: [], restored: marks(6, 7) });
      // Act: the later seq first, then the parts in reverse order, then all again
      await h.sink.write(blocks);
      await h.sink.write([later]);
      await h.sink.write([part1]);
      const partial = await h.canonicalRows("l2_head_events");
      await h.sink.write([part0]);
      await h.sink.write([part0, part1, later]);
      // Assess
      expect(part0.observationId).not.toBe(part1.observationId);
      expect(partial).toEqual([3, 4, 5, 6, 7].map((n) => hash(`l2:${n}`)).sort());
      expect(await h.canonicalRows("l2_head_events")).toEqual([3, 6, 7].map((n) => hash(`l2:${n}`)).sort());
      expect(await h.canonicalRows("block_marks")).toHaveLength(6);
      expect(await readAll(h)).toEqual(expectedOf([...blocks, part0, part1, later]));
    });

    it("surfaces a failed write as a retryable SinkUnavailableError; the retry after recovery stores each row once", async () => {
      // Prepare
      const h = await harness();
      const batch = [
        record(l1Header(1)),
        record(l2Header(1)),
        record(proposed(1, at(1))),
        record(verified(1, at(2))),
      ];
      const heal = await h.breakStore();
      // Act
      const failed = h.sink.write(batch);
      // Assess
      await expect(failed).rejects.toBeInstanceOf(SinkUnavailableError);
      await expect(failed).rejects.toMatchObject({ retryable: true });
      // Act: the store recovers; the processor retries the same records
      await heal();
      await h.sink.write(batch);
      // Assess
      expect(await readAll(h)).toEqual(expectedOf(batch));
    });

    it("reports itself healthy, with a detail and the probe's duration, and writes nothing", async () => {
      // Prepare
      const h = await harness();
      // Act
      const health = await h.sink.health();
      // Assess
      expect(health).toMatchObject({ ok: true, detail: expect.any(String) });
      expect(health.detail).not.toBe("");
      expect(health.ms).toBeGreaterThanOrEqual(0);
      for (const rows of (await readAll(h)).values()) expect(rows).toEqual([]);
    });

    it("acknowledges a write only once its rows are readable", async () => {
      // Prepare
      const h = await harness();
      // Act / Assess: each write, once resolved, is visible at once — no flush, no wait
      for (let n = 1; n <= 5; n++) {
        await h.sink.write([record(l2Header(n)), record(proposed(n, at(n)))]);
        expect(await h.canonicalRows("l2_head_events")).toHaveLength(n);
        expect(await h.canonicalRows("batch_blocks")).toHaveLength(3 * n);
      }
    });

    it("stores every Shasta table once however the same records are batched, ordered and raced", async () => {
      // Prepare
      const h = await harness();
      const records = shastaMixed();
      const reversed = [...records].reverse();
      // Act: all at once; reversed in fours; one by one; a batch holding a record twice; three racing writers
      await h.sink.write(records);
      for (let i = 0; i < reversed.length; i += 4) await h.sink.write(reversed.slice(i, i + 4));
      for (const r of records) await h.sink.write([r]);
      await h.sink.write([records[2], records[2], records[6]].flatMap((r) => (r ? [r] : [])));
      await Promise.all([h.sink.write(records), h.sink.write(reversed), h.sink.write(records.slice(3, 9))]);
      // Assess
      const actual = await readAll(h);
      expect(actual).toEqual(expectedOf(records));
      const counts = Object.fromEntries(SHASTA_TABLE_NAMES.map((t) => [t, actual.get(t)?.length]));
      expect(counts).toEqual({
        proposals: 2,
        proposal_sources: 3,
        proofs: 1,
        proposal_blocks: 2,
        bond_events: 5,
        state_recovered: 1,
        forced_inclusions_voided: 1,
        inbox_activated: 1,
        forced_inclusions_saved: 2,
      });
    });

    it("hides Shasta rows of orphaned L1 and L2 blocks, and shows a proposal re-included in a new block", async () => {
      // Prepare: L1 block 50 holds one of every Shasta event and is replaced; its Proposed tx is re-included in 51.
      // L2 blocks 7–8 name proposal 3; an L2 reorg replaces 8 with 8', which names proposal 3 too.
      const h = await harness();
      const movedTx = { txHash: hash("tx:moved-proposal") };
      const inOrphan = [
        record(shastaProposed(3, at(50, movedTx), { sources: 2, forced: 1 })),
        record(shastaProved({ first: 1, firstNew: 2, last: 3 }, at(50, { logIndex: 1 }))),
        record(shastaSaved(at(50, { logIndex: 2 }))),
        record(shastaBond(settledBond(), at(50, { logIndex: 3 }))),
        record(shastaStateRecovered(at(50, { logIndex: 4 }))),
        record(shastaVoided(at(50, { logIndex: 5 }))),
        record(shastaActivated(at(50, { logIndex: 6 }))),
      ];
      const reincluded = record(shastaProposed(3, at(51, movedTx), { sources: 2, forced: 1 }));
      const links = [record(shastaProposalBlock(7, 3)), record(shastaProposalBlock(8, 3))];
      const newLink = record(shastaProposalBlock(8, 3, { hash: hash("l2alt:8") }));
      // Act: the L1 reorg between its orphans, the L2 reorg after its orphan
      await h.sink.write([...inOrphan.slice(0, 3), ...links]);
      await h.sink.write([record(reorg("l1", 50, 50)), record(reorg("l2", 8, 8))]);
      await h.sink.write([...inOrphan.slice(3), reincluded, newLink]);
      // Assess
      const actual = await readAll(h);
      expect(actual.get("proposals")).toEqual([reincluded.observationId]);
      expect(actual.get("proposal_sources")).toEqual([0, 1].map((i) => `${reincluded.observationId}|${i}`));
      expect(actual.get("proposal_blocks")).toEqual([hash("l2:7"), hash("l2alt:8")].sort());
      for (const t of [
        "proofs",
        "forced_inclusions_saved",
        "bond_events",
        "state_recovered",
        "forced_inclusions_voided",
        "inbox_activated",
      ] as const) {
        expect({ t, rows: actual.get(t) }).toEqual({ t, rows: [] });
      }
      expect(actual).toEqual(
        expectedOf([
          ...inOrphan,
          reincluded,
          ...links,
          newLink,
          record(reorg("l1", 50, 50)),
          record(reorg("l2", 8, 8)),
        ]),
      );
    });
  });
}
