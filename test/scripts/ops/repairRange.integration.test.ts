import { createTestClient, type Hex, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { RepairError, repairRange } from "../../../scripts/ops/repairRange.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";

const INBOX = "0x00000000000000000000000000000000000a11ce";
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

describe("tidemark repair (repairRange) on the local pipeline", () => {
  it("repairs a 300-block reorg the ingestor cannot walk back: old blocks orphaned, the new branch canonical", async () => {
    // Prepare: L2 drops its newest 300 blocks and grows another branch from there (another coinbase)
    const test = node(l2.url);
    await test.request({ method: "anvil_rollback" as never, params: [DEPTH] as never });
    await test.setCoinbase({ address: "0x00000000000000000000000000000000000000b2" });
    await test.mine({ blocks: DEPTH + 5 });
    await pipeline.invokeIngestor(3_000);
    expect(JSON.stringify(pipeline.ingest.lastError)).toMatch(
      /ReorgTooDeepError.*tidemark repair --chain l2/,
    );

    // Act: the runbook's command, through the same function; first from above the fork (refused)
    const repair = (from: number) =>
      repairRange({
        chain: "l2",
        from,
        client: createChainClient({ urls: [l2.url] }),
        sink: pipeline.sink,
        sqs: pipeline.harness.sqs,
        ddb: pipeline.harness.ddb,
        queueUrl: pipeline.queueUrl,
        dlqUrl: pipeline.dlqUrl,
        stateTable: pipeline.env.STATE_TABLE as string,
        inboxAddresses: [INBOX as Hex],
        blocksPerRange: 128,
      });
    const aboveFork = await repair(400 - DEPTH + 50).catch((e: unknown) => e);
    const from = 400 - DEPTH - 1;
    const repaired = await repair(from);
    expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    const report = await pipeline.verify();

    // Assess
    expect(aboveFork).toBeInstanceOf(RepairError);
    expect((aboveFork as Error).message).toMatch(/start lower/);
    expect(repaired).toMatchObject({ from, to: 400, orphaned: DEPTH });
    expect(report.orphans.l2).toMatchObject({ offChain: DEPTH, marked: DEPTH, unmarked: [] });
    expect(report.ok).toBe(true);
  }, 240_000);
});
