import { createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";

const INBOX = "0x00000000000000000000000000000000000a11ce";
/** Deeper than the 256 hashes the cursor remembers. */
const DEPTH = 300;

let l1: AnvilNode;
let l2: AnvilNode;
let pipeline: LocalPipeline;

const node = (url: string) => createTestClient({ mode: "anvil", transport: http(url) });

beforeAll(async () => {
  l1 = await startAnvil({ noMining: true });
  l2 = await startAnvil({ noMining: true, chainId: 167_000 });
  await node(l1.url).mine({ blocks: 5 });
  await node(l2.url).mine({ blocks: 400 });
  pipeline = await createLocalPipeline({
    rpc: { l1Urls: [l1.url], l2Urls: [l2.url], inbox: INBOX, l1From: 1, l2From: 1, confirmations: 0 },
    env: { RECENT_HASHES: "256", MAX_BLOCKS_PER_RANGE: "200" },
  });
  expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
  await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
  await l1?.stop();
  await l2?.stop();
});

describe("a reorg deeper than the recent-hash window, on the local pipeline", () => {
  it("is walked back by the scheduled ingestor alone: every orphan marked, the new branch canonical, nothing twice", async () => {
    // Prepare: L2 drops its newest 300 blocks and grows another branch from there (another coinbase)
    const test = node(l2.url);
    await test.request({ method: "anvil_rollback" as never, params: [DEPTH] as never });
    await test.setCoinbase({ address: "0x00000000000000000000000000000000000000b2" });
    await test.mine({ blocks: DEPTH + 5 });

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
