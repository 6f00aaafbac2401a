import { createTestClient, http } from "viem";
import { expect } from "vitest";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";

export const INBOX = "0x00000000000000000000000000000000000a11ce";
/** L2 blocks ingested before the reorg. */
export const L2_BLOCKS = 400;

const node = (url: string) => createTestClient({ mode: "anvil", transport: http(url) });

/**
 * Two anvil nodes and the local pipeline caught up on 400 L2 blocks (RECENT_HASHES 256, ranges of
 * 200), for a reorg deeper than the window (deepReorg.integration.test.ts, repairRange's test).
 */
export async function startDeepReorgPipeline(env: Readonly<Record<string, string>> = {}) {
  const l1: AnvilNode = await startAnvil({ noMining: true });
  const l2: AnvilNode = await startAnvil({ noMining: true, chainId: 167_000 });
  await node(l1.url).mine({ blocks: 5 });
  await node(l2.url).mine({ blocks: L2_BLOCKS });
  const pipeline: LocalPipeline = await createLocalPipeline({
    rpc: { l1Urls: [l1.url], l2Urls: [l2.url], inbox: INBOX, l1From: 1, l2From: 1, confirmations: 0 },
    env: { RECENT_HASHES: "256", MAX_BLOCKS_PER_RANGE: "200", ...env },
  });
  expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
  await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
  return {
    l1,
    l2,
    pipeline,
    /** L2 drops its newest `depth` blocks and grows another branch from there (another coinbase). */
    async reorgL2(depth: number) {
      const test = node(l2.url);
      await test.request({ method: "anvil_rollback" as never, params: [depth] as never });
      await test.setCoinbase({ address: "0x00000000000000000000000000000000000000b2" });
      await test.mine({ blocks: depth + 5 });
    },
    async stop() {
      await pipeline.stop();
      await l1.stop();
      await l2.stop();
    },
  };
}
