import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { RepairError, repairRange } from "../../../scripts/ops/repairRange.js";
import type { LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";
import { INBOX, L2_BLOCKS, startDeepReorgPipeline } from "../../lambdas/ingestor/deepReorgFixture.js";

const DEPTH = 300;

let world: Awaited<ReturnType<typeof startDeepReorgPipeline>>;
let pipeline: LocalPipeline;

beforeAll(async () => {
  // A reorg within MAX_REORG_DEPTH is walked back on its own (deepReorg.integration.test.ts).
  world = await startDeepReorgPipeline({ MAX_REORG_DEPTH: "200" });
  pipeline = world.pipeline;
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

describe("tidemark repair (repairRange) on the local pipeline", () => {
  it("repairs a 300-block reorg the ingestor cannot walk back: old blocks orphaned, the new branch canonical", async () => {
    // Prepare: L2 drops its newest 300 blocks and grows another branch from there
    await world.reorgL2(DEPTH);
    await pipeline.invokeIngestor(3_000);
    expect(JSON.stringify(pipeline.ingest.lastError)).toMatch(
      /ReorgTooDeepError.*MAX_REORG_DEPTH \(200\).*tidemark repair --chain l2/,
    );

    // Act: the runbook's command, through the same function; first from above the fork (refused)
    const repair = (from: number) =>
      repairRange({
        chain: "l2",
        from,
        client: createChainClient({ urls: [world.l2.url] }),
        sink: pipeline.sink,
        sqs: pipeline.harness.sqs,
        ddb: pipeline.harness.ddb,
        queueUrl: pipeline.queueUrl,
        dlqUrl: pipeline.dlqUrl,
        stateTable: pipeline.env.STATE_TABLE as string,
        inboxAddresses: [INBOX as Hex],
        blocksPerRange: 128,
      });
    const aboveFork = await repair(L2_BLOCKS - DEPTH + 50).catch((e: unknown) => e);
    const from = L2_BLOCKS - DEPTH - 1;
    const repaired = await repair(from);
    expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    const report = await pipeline.verify();

    // Assess
    expect(aboveFork).toBeInstanceOf(RepairError);
    expect((aboveFork as Error).message).toMatch(/start lower/);
    expect(repaired).toMatchObject({ from, to: L2_BLOCKS, orphaned: DEPTH });
    expect(report.orphans.l2).toMatchObject({ offChain: DEPTH, marked: DEPTH, unmarked: [] });
    expect(report.ok).toBe(true);
  }, 240_000);
});
