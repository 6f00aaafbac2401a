import { describe, expect, it } from "vitest";
import { PipelineEventSchema } from "../../../../lambdas/shared/events.js";
import { eventKey } from "../../../../lambdas/shared/keys.js";
import { decodeShastaLogs } from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { proposalBlockEventOf, shastaEventsOf } from "../../../../lambdas/shared/taiko/shastaEventOf.js";
import { rowsOf } from "../../../../lambdas/sink/rows.js";
import { record } from "../../../support/events.js";
import { BLOCK_HASH, h, shastaLog, TX } from "./helpers.js";

const PROPOSER = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01";
const PROVER = "0x5F62d006C10C009ff50C878Cd6157aC861C99990";
const OTHER = "0x1111111111111111111111111111111111111111";
const L1_TIME = 1_775_200_000;
const slice = (b: string, timestamp = L1_TIME) => ({ blobHashes: [h(b)], offset: 0, timestamp });

/** One log of every Shasta event, built with the real ABI, all in one tx of one block (as shastaLog places them). */
const logs = () => [
  shastaLog("InboxActivated", { lastPacayaBlockHash: h("9a") }, { logIndex: 0 }),
  shastaLog(
    "Proposed",
    {
      id: 12,
      proposer: PROPOSER,
      parentProposalHash: h("11"),
      endOfSubmissionWindowTimestamp: L1_TIME + 12,
      basefeeSharingPctg: 75,
      sources: [
        { isForcedInclusion: true, blobSlice: slice("f1") },
        { isForcedInclusion: false, blobSlice: slice("a1") },
      ],
    },
    { logIndex: 1 },
  ),
  shastaLog(
    "Proved",
    { firstProposalId: 8, firstNewProposalId: 10, lastProposalId: 12, actualProver: PROVER },
    { logIndex: 2 },
  ),
  shastaLog(
    "StateRecovered",
    { nextProposalId: 13, lastFinalizedProposalId: 9, lastFinalizedBlockHash: h("77") },
    { logIndex: 3 },
  ),
  shastaLog("ForcedInclusionsVoided", { oldHead: 3, newHead: 7 }, { logIndex: 4 }),
  shastaLog(
    "ForcedInclusionSaved",
    { forcedInclusion: { feeInGwei: 2n ** 64n - 1n, blobSlice: slice("f2") } },
    { logIndex: 5 },
  ),
  shastaLog(
    "ForcedInclusionSaved",
    { forcedInclusion: { feeInGwei: 1n, blobSlice: slice("f2") } },
    { logIndex: 6 },
  ),
  shastaLog("BondDeposited", { depositor: PROPOSER, recipient: OTHER, amount: 5n }, { logIndex: 7 }),
  shastaLog("BondDeposited", { depositor: PROPOSER, recipient: OTHER, amount: 5n }, { logIndex: 8 }),
  shastaLog("BondWithdrawn", { account: PROPOSER, amount: 1n }, { logIndex: 9 }),
  shastaLog("WithdrawalRequested", { account: PROPOSER, withdrawableAt: L1_TIME + 86_400 }, { logIndex: 10 }),
  shastaLog("WithdrawalCancelled", { account: PROPOSER }, { logIndex: 11 }),
  shastaLog(
    "LivenessBondSettled",
    { payer: PROPOSER, payee: PROVER, livenessBond: 100n, credited: 40n, slashed: 60n },
    { logIndex: 12 },
  ),
];

describe("shastaEventsOf", () => {
  it("maps every decoded record to a valid queue event with its fact's key", () => {
    // Prepare
    const { records, failures } = decodeShastaLogs(logs());
    expect(failures).toEqual([]);
    // Act
    const { events, skipped } = shastaEventsOf({
      records,
      blockTimestamps: new Map([[24_000_000, L1_TIME]]),
    });
    // Assess
    expect(skipped).toEqual([]);
    expect(events).toHaveLength(records.length);
    expect(events.map(eventKey)).toEqual([
      `${h("9a")}:${TX}-inbox_activated`,
      `12:${TX}-proposed`,
      `12:${TX}-proved`,
      `9:${TX}-state_recovered`,
      `3-7:${TX}-forced_inclusions_voided`,
      `${TX}:0-forced_inclusion_saved`,
      `${TX}:1-forced_inclusion_saved`,
      `${OTHER}:${TX}:0-bond_deposited`,
      `${OTHER}:${TX}:1-bond_deposited`,
      `${PROPOSER.toLowerCase()}:${TX}:0-bond_withdrawn`,
      `${PROPOSER.toLowerCase()}:${TX}:0-withdrawal_requested`,
      `${PROPOSER.toLowerCase()}:${TX}:0-withdrawal_cancelled`,
      `${PROPOSER.toLowerCase()}:${TX}:0-liveness_bond_settled`,
    ]);
    events.forEach((event, i) => {
      expect(PipelineEventSchema.safeParse(event).success).toBe(true);
      expect("l1" in event && event.l1).toEqual({
        blockNumber: 24_000_000,
        blockHash: BLOCK_HASH,
        timestamp: L1_TIME,
        txHash: TX,
        logIndex: i,
      });
    });
    // Two equal deposits in one tx are two facts: ordinals 0 and 1.
    expect(new Set(events.map(eventKey)).size).toBe(events.length);
    expect(events[1]).toMatchObject({
      type: "shasta_proposed",
      proposalId: 12,
      proposer: PROPOSER.toLowerCase(),
      sources: [{ isForcedInclusion: true }, { isForcedInclusion: false }],
    });
    expect(events[12]).toMatchObject({
      type: "shasta_bond_event",
      bond: { kind: "liveness_bond_settled", payer: PROPOSER.toLowerCase(), slashedGwei: "60" },
    });
  });

  it("routes every mapped event to its table through the processor's row mapping", () => {
    // Prepare
    const { records } = decodeShastaLogs(logs());
    const { events } = shastaEventsOf({ records, blockTimestamps: new Map([[24_000_000, L1_TIME]]) });
    // Act
    const tables = events.flatMap((e) => rowsOf(record(e)).map((r) => r.table));
    // Assess
    expect(tables).toEqual([
      "inbox_activated",
      "proposals",
      "proposal_sources",
      "proposal_sources",
      "proofs",
      "state_recovered",
      "forced_inclusions_voided",
      "forced_inclusions_saved",
      "forced_inclusions_saved",
      ...Array(6).fill("bond_events"),
    ]);
  });

  it("skips, with the reason naming the field, a record whose block time is missing or absurd", () => {
    // Prepare
    const { records } = decodeShastaLogs(logs().slice(0, 2));
    // Act
    const missing = shastaEventsOf({ records, blockTimestamps: new Map() });
    const millis = shastaEventsOf({ records, blockTimestamps: new Map([[24_000_000, L1_TIME * 1000]]) });
    // Assess
    expect(missing.events).toEqual([]);
    expect(missing.skipped.map((s) => s.reason)).toEqual(Array(2).fill("no header read for block 24000000"));
    expect(millis.events).toEqual([]);
    for (const s of millis.skipped) expect(s.reason).toMatch(/l1.*timestamp/s);
  });

  it("maps an L2 block's proposal link to the event keyed by its L2 hash", () => {
    // Prepare
    const link = {
      blockNumber: 501,
      blockHash: h("5b"),
      proposalId: 12,
      basefeeSharingPctg: 75,
      anchor: { txHash: h("a7"), l1BlockNumber: 24_000_000, l1BlockHash: BLOCK_HASH, l1StateRoot: h("50") },
    } as const;
    // Act
    const event = proposalBlockEventOf(link, { timestamp: L1_TIME + 1 });
    // Assess
    expect(PipelineEventSchema.safeParse(event).success).toBe(true);
    expect(eventKey(event)).toBe(`12:501:${h("5b")}-proposal_block`);
    expect(rowsOf(record(event))).toEqual([
      expect.objectContaining({
        table: "proposal_blocks",
        row: expect.objectContaining({ proposal_id: 12, l2_block_number: 501, l2_block_hash: h("5b") }),
      }),
    ]);
  });
});
