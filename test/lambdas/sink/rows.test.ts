import { describe, expect, it } from "vitest";
import { InvalidMessageError } from "../../../lambdas/shared/errors.js";
import { columnsOf, PRIMARY_KEYS, rowsByTable, rowsOf, TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import {
  address,
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
  uncheckedRecord,
  verified,
} from "../../support/events.js";
import { l1TxCost, l2BlockFees } from "../../support/feeEvents.js";
import { preconfEpoch } from "../../support/preconfEvents.js";
import {
  everyBond,
  shastaActivated,
  shastaBond,
  shastaProposalBlock,
  shastaProposed,
  shastaProved,
  shastaSaved,
  shastaStateRecovered,
  shastaVoided,
} from "../../support/shastaEvents.js";

describe("rowsOf", () => {
  it("maps an L1 header to one l1_head_events row keyed by the record's ids", () => {
    // Prepare
    const r = record(l1Header(100, { baseFeePerGas: "7" }));
    // Act
    const rows = rowsOf(r);
    // Assess
    expect(rows).toEqual([
      {
        table: "l1_head_events",
        row: {
          l1_block_number: 100,
          block_hash: hash("l1:100"),
          parent_hash: hash("l1:99"),
          block_ts: 1_700_001_200,
          gas_used: 15_000_000n,
          gas_limit: 30_000_000n,
          base_fee: 7n,
          tx_count: 100,
          miner: address(1),
          event_key: r.key,
          observation_id: r.observationId,
        },
      },
    ]);
  });

  it("computes an L2 header's sum_base_fee as gasUsed × baseFee beyond 2^64", () => {
    // Prepare: 2^40 gas × 2^40 wei = 2^80, far past both JS numbers and UInt64
    const r = record(
      l2Header(5, { gasUsed: String(2 ** 40), baseFeePerGas: String(2 ** 40), miner: address(9) }),
    );
    // Act
    const [only] = rowsOf(r);
    // Assess
    expect(only?.table).toBe("l2_head_events");
    expect(only?.row).toMatchObject({
      l2_block_number: 5,
      sum_gas_used: 2n ** 40n,
      base_fee: 2n ** 40n,
      sum_base_fee: 2n ** 80n,
      sum_tx: 10,
      sequencer: address(9),
    });
  });

  it("leaves fees null for a header without a base fee", () => {
    const [only] = rowsOf(record(l2Header(5, { baseFeePerGas: null })));
    expect(only?.row).toMatchObject({ base_fee: null, sum_base_fee: null });
  });

  it("maps a proposal to one batches row and one batch_blocks row per L2 block of the batch", () => {
    // Prepare: batch 7 holds blocks 98, 99, 100 (lastBlockId − blockCount + 1 … lastBlockId)
    const r = record(proposed(7, at(50, { logIndex: 3 }), { lastBlockId: 100, blockCount: 3 }));
    // Act
    const rows = rowsOf(r);
    // Assess
    const batch = rows.filter((x) => x.table === "batches");
    const blocks = rows.filter((x) => x.table === "batch_blocks");
    expect(batch).toHaveLength(1);
    expect(batch[0]?.row).toMatchObject({
      batch_id: 7,
      l1_block_number: 50,
      l1_block_hash: hash("l1:50"),
      l1_tx_hash: hash("tx:50"),
      log_index: 3,
      proposed_at: 1_700_000_600,
      batch_size: 3,
      last_l2_block_number: 100,
      proposer_addr: address(0xb),
      coinbase: address(0xc),
      blob_count: 1,
      event_key: r.key,
      observation_id: r.observationId,
    });
    expect(blocks.map((b) => b.row)).toEqual(
      [98, 99, 100].map((n) => ({
        batch_id: 7,
        l2_block_number: n,
        l1_block_number: 50,
        l1_block_hash: hash("l1:50"),
        l1_tx_hash: hash("tx:50"),
        event_key: r.key,
        observation_id: r.observationId,
      })),
    );
  });

  it("numbers a one-block batch starting at block 0 correctly", () => {
    const rows = rowsOf(record(proposed(0, at(2), { lastBlockId: 0, blockCount: 1 })));
    expect(rows.filter((x) => x.table === "batch_blocks").map((b) => b.row.l2_block_number)).toEqual([0]);
  });

  it("rejects a proposal claiming more blocks than exist below lastBlockId as invalid input", () => {
    const r = uncheckedRecord(proposed(1, at(2), { lastBlockId: 1, blockCount: 3 }));
    expect(() => rowsOf(r)).toThrow(InvalidMessageError);
  });

  it("maps proofs, verifications and forced inclusions with their L1 location and time", () => {
    // Prepare
    const p = record(proved(4, at(60, { logIndex: 1 })));
    const v = record(verified(4, at(61)));
    const f = record(forcedInclusion("a", at(62, { logIndex: 5 })));
    // Act
    const [pr] = rowsOf(p);
    const [vr] = rowsOf(v);
    const [fr] = rowsOf(f);
    // Assess
    expect(pr).toEqual({
      table: "proved_batches",
      row: {
        batch_id: 4,
        l1_block_number: 60,
        l1_block_hash: hash("l1:60"),
        l1_tx_hash: hash("tx:60"),
        log_index: 1,
        proved_at: 1_700_000_720,
        verifier_addr: address(0xd),
        parent_hash: hash("p:4"),
        block_hash: hash("b:4"),
        state_root: hash("s:4"),
        event_key: p.key,
        observation_id: p.observationId,
      },
    });
    expect(vr).toMatchObject({
      table: "verified_batches",
      row: { batch_id: 4, l1_block_hash: hash("l1:61"), verified_at: 1_700_000_732, block_hash: hash("b:4") },
    });
    expect(fr).toMatchObject({
      table: "forced_inclusion_processed",
      row: {
        blob_hash: hash("fi:a"),
        fee_in_gwei: 18_446_744_073_709_551_615n,
        created_at_batch_id: 7,
        blob_byte_size: 4096,
        l1_block_hash: hash("l1:62"),
        log_index: 5,
        processed_at: 1_700_000_744,
        event_key: f.key,
      },
    });
  });

  it("maps a reorg to one reorgs row and one block_marks row per orphaned or restored block", () => {
    // Prepare
    const restored = { number: 9, hash: hash("l2:9") };
    const r = record({ ...reorg("l2", 10, 12), restored: [restored], seq: 5, part: { index: 1, count: 2 } });
    // Act
    const rows = rowsOf(r);
    // Assess
    expect(rows[0]).toEqual({
      table: "reorgs",
      row: {
        chain: "l2",
        common_ancestor_number: 9,
        common_ancestor_hash: hash("l2:9"),
        depth: 3,
        new_head_number: 12,
        new_head_hash: hash("l2alt:12"),
        detected_at: 1_800_000_000,
        event_key: r.key,
        observation_id: r.observationId,
      },
    });
    expect(rows.slice(1)).toEqual(
      [10, 11, 12, 9].map((n) => ({
        table: "block_marks",
        row: {
          chain: "l2",
          block_number: n,
          block_hash: hash(`l2:${n}`),
          seq: 5,
          part: 1,
          state: n === 9 ? "restored" : "orphaned",
          reorg_key: r.key,
          event_key: r.key,
          observation_id: r.observationId,
        },
      })),
    );
  });

  it("fills every column of its table, and every primary key column, for each event type", () => {
    // Prepare
    const records = [
      record(l1Header(1)),
      record(l2Header(1)),
      record(proposed(1, at(1))),
      record(proved(1, at(2))),
      record(verified(1, at(3))),
      record(forcedInclusion("x", at(4))),
      record(reorg("l1", 2, 3)),
      // Shasta: every event, every bond kind (nullable per-kind columns), the genesis proposal
      record(shastaActivated(at(5))),
      record(shastaProposed(0, at(5, { logIndex: 1 }), { sources: 0 })),
      record(shastaProposed(1, at(6), { sources: 2, forced: 1 })),
      record(shastaProved({ first: 1, firstNew: 1, last: 1 }, at(7))),
      record(shastaStateRecovered(at(8))),
      record(shastaVoided(at(8, { logIndex: 1 }))),
      record(shastaSaved(at(9))),
      ...everyBond().map((b, i) => record(shastaBond(b, at(10, { logIndex: i })))),
      record(shastaProposalBlock(4, 1)),
      record(apiEvent("ops", 1)),
      // Fees: a block whose header carries no share (nullable columns), an L1 transaction's cost
      record(l2BlockFees(4, { basefeeSharingPctg: null, sharedBaseFeeWei: null, anchorTxHash: null })),
      record(l1TxCost("propose", at(6))),
      // The whitelist's operators of an epoch, read at an L1 block
      record(preconfEpoch(11, 1_700_000_256)),
    ];
    // Act
    const byTable = rowsByTable(records);
    // Assess
    expect([...byTable.keys()].sort()).toEqual([...TABLE_NAMES].sort());
    for (const [table, rows] of byTable) {
      for (const row of rows) {
        expect(Object.keys(row).sort()).toEqual([...columnsOf(table)].sort());
        for (const pk of PRIMARY_KEYS[table]) expect(row[pk]).not.toBeNull();
      }
    }
  });

  it("maps an API event to one api_events row with its canonical payload, keyed by stream and sequence", () => {
    // Prepare
    const inline = record(apiEvent("ops", 7, { b: 2, a: [1, "x"] }));
    const fetched = record(
      apiEvent("ops", 8, { big: true }, { payloadRef: "s3://bucket/payloads/abc.json" }),
    );
    // Act
    const [row] = rowsOf(inline);
    const [fetchedRow] = rowsOf(fetched);
    // Assess
    expect(row).toEqual({
      table: "api_events",
      row: {
        stream: "ops",
        sequence: 7,
        event_id: inline.observationId,
        event_type: "note",
        client_event_id: "client-7",
        accepted_at: "2027-01-15T08:00:00.007Z",
        payload_sha256: (inline.event as { payloadSha256: string }).payloadSha256,
        payload: '{"a":[1,"x"],"b":2}',
        payload_ref: null,
        event_key: "ops:7-api_event",
        observation_id: inline.observationId,
      },
    });
    expect(fetchedRow?.row).toMatchObject({
      payload: '{"big":true}',
      payload_ref: "s3://bucket/payloads/abc.json",
    });
  });

  it("refuses an API event whose claim-checked payload was never fetched, as bad input", () => {
    // Prepare
    const unfetched = record(
      apiEvent("ops", 9, {}, { payload: undefined, payloadRef: "s3://bucket/payloads/abc.json" }),
    );
    // Act / Assess
    expect(() => rowsOf(unfetched)).toThrow(InvalidMessageError);
  });
});
