import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { MAX_RANGE_BLOCKS, MAX_RECENT_HASHES } from "../../../lambdas/ingestor/config.js";
import { buildReorgEvents } from "../../../lambdas/ingestor/reorgEvents.js";
import { MAX_MESSAGE_BYTES, PipelineEventSchema } from "../../../lambdas/shared/events.js";
import { observationId } from "../../../lambdas/shared/keys.js";

const blocks = (from: number, count: number, fork: string) =>
  Array.from({ length: count }, (_, i) => ({
    number: from + i,
    hash: keccak256(toHex(`${fork}:${from + i}`)) as Hex,
  }));

describe("buildReorgEvents", () => {
  it("keeps every message of the largest reorg the settings allow under the processor's cap", () => {
    // Prepare: the deepest walk-back (every remembered hash) plus a full pending range orphaned, as many
    // restored, at block numbers as wide as they come
    const base = 9_000_000_000_000;
    const depth = MAX_RECENT_HASHES + MAX_RANGE_BLOCKS;
    const orphaned = blocks(base, depth, "old");
    const restored = blocks(base, depth, "new");

    // Act
    const events = buildReorgEvents({
      chain: "l1",
      commonAncestor: { number: base - 1, hash: `0x${"aa".repeat(32)}` },
      orphaned,
      restored,
      seq: 4_294_967_295,
      newHead: { number: base + depth, hash: `0x${"bb".repeat(32)}` },
      detectedAt: 1_700_000_000,
    });

    // Assess: each valid and within the cap, all parts of one seq, nothing lost or repeated
    expect(events.length).toBeGreaterThan(1);
    for (const [index, event] of events.entries()) {
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(PipelineEventSchema.safeParse(event).success).toBe(true);
      expect(event).toMatchObject({ seq: 4_294_967_295, depth, part: { index, count: events.length } });
    }
    expect(events.flatMap((e) => e.orphaned)).toEqual(orphaned);
    expect(events.flatMap((e) => e.restored ?? [])).toEqual(restored);
    expect(new Set(events.map(observationId)).size).toBe(events.length);
  });

  it("gives a reorg that fits one message no part, and a later seq of the same blocks another dedup id", () => {
    // Prepare
    const reorg = (seq: number) =>
      buildReorgEvents({
        chain: "l2",
        commonAncestor: { number: 9, hash: `0x${"aa".repeat(32)}` },
        orphaned: blocks(10, 3, "b"),
        restored: blocks(10, 3, "a"),
        seq,
        newHead: { number: 12, hash: `0x${"bb".repeat(32)}` },
        detectedAt: 1_700_000_000,
      });

    // Act
    const [first] = reorg(1);
    const [again] = reorg(3);

    // Assess
    expect(first?.part).toBeUndefined();
    expect(observationId(first as never)).not.toBe(observationId(again as never));
  });
});
