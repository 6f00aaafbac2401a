import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeepReorgPipeline } from "./deepReorgFixture.js";

/** Deeper than the 256 hashes the cursor remembers. */
const DEPTH = 300;

let world: Awaited<ReturnType<typeof startDeepReorgPipeline>>;

beforeAll(async () => {
  world = await startDeepReorgPipeline();
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

describe("a reorg deeper than the recent-hash window, on the local pipeline", () => {
  it("is walked back by the scheduled ingestor alone: every orphan marked, the new branch canonical, nothing twice", async () => {
    // Prepare
    const { pipeline } = world;
    await world.reorgL2(DEPTH);

    // Act: only the scheduled ingestor, as deployed (no repair)
    expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    const report = await pipeline.verify();

    // Assess
    expect(JSON.stringify(pipeline.ingest.lastError ?? null)).not.toMatch(/ReorgTooDeep/);
    expect(report.orphans.l2).toMatchObject({ offChain: DEPTH, marked: DEPTH, unmarked: [] });
    expect(report.ok).toBe(true);
  }, 240_000);
});
