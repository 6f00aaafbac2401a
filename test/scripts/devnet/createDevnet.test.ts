import { createPublicClient, decodeEventLog, type Hex, http, type PublicClient, parseEventLogs } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { shastaInboxAbi } from "../../../lambdas/shared/taiko/shastaAbi.js";
import { createDevnet, type DevnetStats } from "../../../scripts/devnet/createDevnet.js";
import type { DevnetKnobs } from "../../../scripts/devnet/devnetKnobs.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";

const L1_REORG_MAX_DEPTH = 2;
const L2_REORG_MAX_DEPTH = 3;
/** Reorgs forced on: about one L2 reorg every three blocks and one L1 reorg every other L1 block. */
const STORMY: Partial<DevnetKnobs> = {
  pacingMsPerL2Block: 0,
  l2ReorgProbability: 0.3,
  l2ReorgMaxDepth: L2_REORG_MAX_DEPTH,
  l1ReorgProbability: 0.5,
  l1ReorgMaxDepth: L1_REORG_MAX_DEPTH,
  forcedInclusionEvery: 3,
  proveDelayL1Blocks: [1, 2],
  verifyDelayL1Blocks: [1, 2],
};
const L2_BLOCKS = 60;

const nodes: AnvilNode[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function startChains(): Promise<{ l1Url: string; l2Url: string }> {
  const [l1, l2] = await Promise.all([startAnvil({ chainId: 31337 }), startAnvil({ chainId: 167_000 })]);
  nodes.push(l1, l2);
  return { l1Url: l1.url, l2Url: l2.url };
}

/** What a watcher polling the chain saw: every hash per height, and the block each tx was first seen in. */
function createWatcher(client: PublicClient, window: number) {
  const hashesAt = new Map<number, Set<Hex>>();
  const firstSeen = new Map<Hex, { number: number; hash: Hex }>();
  return {
    hashesAt,
    firstSeen,
    async poll(): Promise<void> {
      const head = Number(await client.getBlockNumber());
      for (let n = Math.max(0, head - window); n <= head; n++) {
        const block = await client.getBlock({ blockNumber: BigInt(n) });
        const seen = hashesAt.get(n) ?? new Set<Hex>();
        seen.add(block.hash);
        hashesAt.set(n, seen);
        for (const tx of block.transactions) {
          if (!firstSeen.has(tx)) firstSeen.set(tx, { number: n, hash: block.hash });
        }
      }
    },
    reorgedHeights: () => [...hashesAt].filter(([, hashes]) => hashes.size > 1).map(([n]) => n),
    /** Transactions now in a different block from the one they were first seen in (same tx hash). */
    async moved(): Promise<{ hash: Hex; from: number; to: number }[]> {
      const moved = [];
      for (const [hash, first] of firstSeen) {
        const receipt = await client.getTransactionReceipt({ hash });
        if (receipt.blockHash !== first.hash) {
          expect(receipt.status).toBe("success");
          moved.push({ hash: receipt.transactionHash, from: first.number, to: Number(receipt.blockNumber) });
        }
      }
      return moved;
    },
  };
}

describe("createDevnet", () => {
  it("drives an L1 + L2 story whose inbox events, batches and reorgs hold together on chain", async () => {
    // Prepare
    const urls = await startChains();
    const l1 = createPublicClient({ transport: http(urls.l1Url), cacheTime: 0 });
    const l2 = createPublicClient({ transport: http(urls.l2Url), cacheTime: 0 });
    const devnet = createDevnet({ ...urls, seed: "storm", knobs: STORMY });
    const deployed = await devnet.deploy();
    const l1Watcher = createWatcher(l1, L1_REORG_MAX_DEPTH + 2);
    const l2Watcher = createWatcher(l2, L2_REORG_MAX_DEPTH + 2);

    // Act
    for (let i = 0; i < L2_BLOCKS; i++) {
      await devnet.step();
      await Promise.all([l1Watcher.poll(), l2Watcher.poll()]);
    }
    const midway = devnet.stats;
    const settled = await devnet.settle();

    // Assess: every inbox log decodes with the shared ABI.
    const logs = await l1.getLogs({
      address: [devnet.inboxAddress, devnet.wrapperAddress],
      fromBlock: BigInt(deployed.deployedInL1Block),
      toBlock: "latest",
    });
    const events = logs.map((log) => ({
      log,
      event: decodeEventLog({ abi: inboxAbi, data: log.data, topics: log.topics }),
    }));
    expect(new Set(events.map((e) => e.event.eventName))).toEqual(
      new Set(["BatchProposed", "BatchesProved", "BatchesVerified", "ForcedInclusionProcessed"]),
    );

    // Assess: batches partition the canonical L2 chain, in id order, proposedIn/At from their L1 block.
    const proposed = events.flatMap(({ log, event }) =>
      event.eventName === "BatchProposed" ? [{ log, ...event.args }] : [],
    );
    const l2Head = Number(await l2.getBlockNumber());
    expect(l2Head).toBe(deployed.firstL2BlockId - 1 + L2_BLOCKS);
    let nextFirst = deployed.firstL2BlockId;
    for (const [i, p] of proposed.entries()) {
      expect(Number(p.meta.batchId)).toBe(i + 1);
      expect(Number(p.info.lastBlockId) - p.info.blocks.length + 1).toBe(nextFirst);
      expect(p.info.proposedIn).toBe(p.log.blockNumber);
      const l1Block = await l1.getBlock({ blockNumber: p.log.blockNumber });
      expect(p.meta.proposedAt).toBe(l1Block.timestamp);
      for (const [j, params] of p.info.blocks.entries()) {
        const l2Block = await l2.getBlock({ blockNumber: BigInt(nextFirst + j) });
        expect(params.numTransactions).toBe(l2Block.transactions.length);
      }
      nextFirst = Number(p.info.lastBlockId) + 1;
    }
    expect(nextFirst).toBe(l2Head + 1);
    expect(proposed).toHaveLength(settled.batchesProposed);

    // Assess: proofs name proposed batches with their canonical last block; verification follows proofs.
    const lastBlockIds = new Map(proposed.map((p) => [p.meta.batchId, p.info.lastBlockId]));
    const lastBlockOf = (batchId: bigint): bigint => {
      const id = lastBlockIds.get(batchId);
      if (id === undefined) throw new Error(`batch ${batchId} was never proposed`);
      return id;
    };
    const proved = new Set<bigint>();
    let lastVerified = 0n;
    for (const { event } of events) {
      if (event.eventName === "BatchesProved") {
        for (const [k, id] of event.args.batchIds.entries()) {
          expect(proved.has(id)).toBe(false);
          proved.add(id);
          const canonical = await l2.getBlock({ blockNumber: lastBlockOf(id) });
          expect(event.args.transitions[k]?.blockHash).toBe(canonical.hash);
        }
      } else if (event.eventName === "BatchesVerified") {
        expect(event.args.batchId).toBeGreaterThan(lastVerified);
        for (let id = lastVerified + 1n; id <= event.args.batchId; id++) expect(proved.has(id)).toBe(true);
        expect(event.args.blockHash).toBe(
          (await l2.getBlock({ blockNumber: lastBlockOf(event.args.batchId) })).hash,
        );
        lastVerified = event.args.batchId;
      }
    }
    expect(proved.size).toBe(proposed.length);
    expect(Number(lastVerified)).toBe(proposed.length);

    // Assess: several sequencers built the L2 chain.
    const coinbases = new Set<string>();
    for (let n = deployed.firstL2BlockId; n <= l2Head; n++)
      coinbases.add((await l2.getBlock({ blockNumber: BigInt(n) })).miner);
    expect(coinbases.size).toBe(devnet.knobs.sequencers);

    // Assess: both chains reorged under the watcher, and transactions moved to other blocks, same hash.
    expect(l1Watcher.reorgedHeights().length).toBeGreaterThan(0);
    expect(l2Watcher.reorgedHeights().length).toBeGreaterThan(0);
    // On L1 the extra empty block pushes a re-included tx to a later height; on L2 it stays at its height.
    expect((await l1Watcher.moved()).filter((m) => m.to > m.from).length).toBeGreaterThan(0);
    expect((await l2Watcher.moved()).length).toBeGreaterThan(0);
    expect(midway.reorgs.l1.total).toBeGreaterThan(0);
    expect(midway.reorgs.l2.total).toBeGreaterThan(0);
  });

  it("replays the same story from the same seed", async () => {
    // Prepare
    const [first, second] = await Promise.all([startChains(), startChains()]);
    const story = async (urls: { l1Url: string; l2Url: string }) => {
      const devnet = createDevnet({ ...urls, seed: 1234, knobs: STORMY });
      await devnet.deploy();
      const stats: DevnetStats = await devnet.run({ l2Blocks: L2_BLOCKS });
      const reorgs = devnet.reorgs.map((r) => [
        r.chain,
        r.depth,
        r.commonAncestor.number,
        r.reincludedTxHashes.length,
      ]);
      await devnet.stop();
      return { stats, reorgs };
    };

    // Act
    const a = await story(first);
    const b = await story(second);

    // Assess
    expect(a.stats.l2Blocks).toBe(L2_BLOCKS);
    expect(a.stats.batchesProposed).toBeGreaterThan(0);
    expect(a.reorgs.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it("crosses the Shasta fork and tells its story in a timed run however little time it is given (throughShasta)", async () => {
    // Prepare: paced as `npm start` is, the fork 60 chain seconds (30 L2 blocks) in; 1 ms gives one block at most
    const urls = await startChains();
    const devnet = createDevnet({ ...urls, seed: 3, knobs: { shastaActivationDelaySec: 60 } });
    const { shasta } = await devnet.deploy();
    const l1 = createPublicClient({ transport: http(urls.l1Url) }) as PublicClient;

    // Act
    const timed = await devnet.run({ durationMs: 1 });
    const through = await devnet.run({ durationMs: 1, throughShasta: true });
    const events = new Set(
      parseEventLogs({
        abi: shastaInboxAbi,
        logs: await l1.getLogs({ address: shasta?.inbox, fromBlock: 0n }),
      }).map((l) => l.eventName),
    );
    await devnet.stop();

    // Assess: the time alone ends before the fork; through it, every Shasta table's event is on chain
    expect(timed.l2Blocks).toBeLessThanOrEqual(2);
    expect(timed.shasta?.activatedInL1Block).toBeUndefined();
    expect(through.shasta?.activatedInL1Block).toBeGreaterThan(0);
    expect(through.shasta?.shastaL2Blocks).toBeGreaterThan(0);
    for (const event of [
      "InboxActivated",
      "Proposed",
      "Proved",
      "BondDeposited",
      "WithdrawalRequested",
      "WithdrawalCancelled",
      "BondWithdrawn",
      "ForcedInclusionSaved",
      "StateRecovered",
      "ForcedInclusionsVoided",
    ])
      expect([...events]).toContain(event);
  });
});
