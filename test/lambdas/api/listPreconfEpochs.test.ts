import { afterAll, describe, expect, it } from "vitest";
import { PipelineEventSchema } from "../../../lambdas/shared/events.js";
import type { PreconfOperator } from "../../../lambdas/shared/preconfEvents.js";
import { createDuckDbSink, type DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { address, record, reorg } from "../../support/events.js";
import { preconfEpoch } from "../../support/preconfEvents.js";
import { ALL, allPages, getJson, testApp } from "./helpers.js";

const E = 1_700_000_256; // an epoch start (any multiple of 384 s past the genesis would do)

describe("GET /v1/preconf-operators over DuckDB", () => {
  const opened: DuckDbSink[] = [];
  afterAll(async () => {
    for (const s of opened) await s.close();
  });
  const open = async () => {
    const sink = await createDuckDbSink({ path: ":memory:" });
    opened.push(sink);
    return sink;
  };

  it("answers each epoch once, newest first, as its latest canonical read found it", async () => {
    // Prepare: epoch E read at its first block (10) and again after a removal (12); epoch E+384 at 40.
    const sink = await open();
    await sink.write([
      record(preconfEpoch(10, E)),
      record(
        preconfEpoch(12, E, {
          trigger: "operator_change",
          currentOperator: address(2),
          operators: preconfEpoch(12, E).operators.slice(1),
        }),
      ),
      record(preconfEpoch(40, E + 384)),
    ]);
    const app = testApp(sink);

    // Act
    const before = await getJson(app, `/v1/preconf-operators?${ALL}`);
    await sink.write([record(reorg("l1", 12, 12, 1_800_000_000))]);
    const after = await getJson(app, `/v1/preconf-operators?${ALL}`);
    const paged = await allPages(app, `/v1/preconf-operators?${ALL}`, 1);

    // Assess
    expect(before.status).toBe(200);
    expect(before.body.items.map((e: { epochStart: number }) => e.epochStart)).toEqual([E + 384, E]);
    expect(before.body.items[1]).toMatchObject({
      currentOperator: address(2),
      candidates: [address(2)],
      observations: 2,
      readAt: { blockNumber: 12 },
    });
    expect(before.body.items[0]).toMatchObject({
      currentOperator: address(1),
      nextOperator: address(2),
      // Operator 3 is whitelisted but not active until two epochs after E + 384 − 768: not a candidate.
      candidates: [address(1), address(2)],
      operators: [
        { proposer: address(1), sequencer: address(11), activeSince: E + 384 - 768 },
        { proposer: address(2), sequencer: address(12), activeSince: E + 384 },
        { proposer: address(3), sequencer: address(13), activeSince: E + 384 + 768 },
      ],
    });
    // The read at block 12 is orphaned: epoch E is what block 10 read.
    expect(after.body.items[1]).toMatchObject({
      currentOperator: address(1),
      observations: 1,
      readAt: { blockNumber: 10 },
    });
    expect(paged.map((e) => (e as { epochStart: number }).epochStart)).toEqual([E + 384, E]);
  });

  it("refuses, naming the field, an epoch read that the whitelist could not have answered", () => {
    const late = PipelineEventSchema.safeParse(preconfEpoch(10, E, { epochStart: E + 384 }));
    const crowded = PipelineEventSchema.safeParse(
      preconfEpoch(10, E, {
        operators: Array.from({ length: 256 }, () => preconfEpoch(10, E).operators[0] as PreconfOperator),
      }),
    );
    expect(late.success).toBe(false);
    expect(late.error?.issues[0]?.path).toEqual(["epochStart"]);
    expect(crowded.error?.issues[0]?.path).toEqual(["operators"]);
  });
});
