import { describe, expect, it } from "vitest";
import { type PipelineEvent, PipelineEventSchema } from "../../../lambdas/shared/events.js";
import { eventKey, messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { reorg } from "../../support/events.js";

const h = (c: string) => `0x${c.repeat(64)}`;
const a = (c: string) => `0x${c.repeat(40)}`;

const l2Header = (over: Partial<PipelineEvent> = {}): PipelineEvent =>
  PipelineEventSchema.parse({
    v: 1,
    type: "l2_header",
    number: 1234,
    hash: h("a"),
    parentHash: h("b"),
    timestamp: 1_700_000_000,
    gasUsed: "21000",
    gasLimit: "30000000",
    baseFeePerGas: "1000000000",
    txCount: 1,
    miner: a("1"),
    ...over,
  });

const proposed = (blockHash: string, logIndex = 0): PipelineEvent =>
  PipelineEventSchema.parse({
    v: 1,
    type: "batch_proposed",
    l1: { blockNumber: 100, blockHash, timestamp: 1_700_000_000, txHash: h("c"), logIndex },
    batchId: 7,
    proposer: a("2"),
    coinbase: a("3"),
    proposedAt: 1_700_000_000,
    proposedIn: 100,
    lastBlockId: 50,
    blockCount: 5,
    lastBlockTimestamp: 1_700_000_000,
    anchorBlockId: 99,
    gasLimit: 240_000_000,
    blobHashes: [],
    txListBytes: 0,
  });

describe("eventKey", () => {
  it("uses the self-hosted design's formats", () => {
    expect(eventKey(l2Header())).toBe(`1234:${h("a")}-l2_header`);
    expect(eventKey(proposed(h("d")))).toBe(`7:${h("c")}-batch_proposed`);
  });

  it("keeps the key of a batch event when a reorg moves its transaction to another block", () => {
    expect(eventKey(proposed(h("d")))).toBe(eventKey(proposed(h("e"))));
  });
});

describe("observationId", () => {
  it("is stable for the same block read twice and fits SQS's 128-character dedup id", () => {
    const id = observationId(proposed(h("d")));
    expect(id).toBe(observationId(proposed(h("d"))));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes when a reorg re-includes the same transaction in another block", () => {
    expect(observationId(proposed(h("d")))).not.toBe(observationId(proposed(h("e"))));
  });

  it("tells apart two logs of one transaction", () => {
    expect(observationId(proposed(h("d"), 0))).not.toBe(observationId(proposed(h("d"), 1)));
  });

  it("differs between two headers at one height", () => {
    expect(observationId(l2Header())).not.toBe(
      observationId(l2Header({ hash: h("f") } as Partial<PipelineEvent>)),
    );
  });
});

describe("messageGroupId", () => {
  it("spreads a stream over P partitions by chain position", () => {
    expect(messageGroupId(l2Header(), 16)).toBe(`l2:${1234 % 16}`);
    expect(messageGroupId(proposed(h("d")), 16)).toBe("inbox:7");
  });
});

describe("PipelineEventSchema", () => {
  it("rejects upper-case hex and unknown types with a message naming the field", () => {
    const bad = PipelineEventSchema.safeParse({ ...l2Header(), hash: `0x${"A".repeat(64)}` });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("hash");
    expect(PipelineEventSchema.safeParse({ v: 1, type: "l3_header" }).success).toBe(false);
  });
});

describe("reorg observation ids", () => {
  const blockA = { number: 4, hash: h("a") };
  const blockB = { number: 4, hash: h("b") };
  const base = { ...reorg("l2", 4, 4), orphaned: [blockA] };

  it("tell an A→B→A flip, each part of a split reorg and each seq apart; a replay is the same id", () => {
    // Prepare: away to B (seq 1), back to A (seq 2, restores A); the same marks split in two parts
    const away = { ...base, seq: 1 };
    const back = { ...base, seq: 2, orphaned: [blockB], restored: [blockA] };
    const again = { ...base, seq: 3 };
    const part0 = { ...base, seq: 4, part: { index: 0, count: 2 } };
    const part1 = { ...base, seq: 4, part: { index: 1, count: 2 } };
    // Act
    const ids = [away, back, again, part0, part1].map(observationId);
    // Assess
    expect(new Set(ids).size).toBe(5);
    expect(observationId({ ...back })).toBe(ids[1]);
    // An unsequenced, unsplit orphan-only reorg keeps the key it always had
    expect(eventKey(base)).toMatch(/^l2:3:[0-9a-f]{16}-reorg$/);
  });

  it("refuses a part index at or past the count and a seq past its bound, naming the field", () => {
    const badPart = PipelineEventSchema.safeParse({ ...base, part: { index: 2, count: 2 } });
    const badSeq = PipelineEventSchema.safeParse({ ...base, seq: 2 ** 31 });
    expect(JSON.stringify(badPart.error?.issues)).toContain("part index must be below the part count");
    expect(JSON.stringify(badSeq.error?.issues)).toContain("seq");
  });
});
