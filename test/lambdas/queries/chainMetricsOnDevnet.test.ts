import { createPublicClient, http, type PublicClient, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { createDevnet } from "../../../scripts/devnet/createDevnet.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { type ClickHouseServer, startClickHouse } from "../../../scripts/local/clickhouseServer.js";
import { type LocalPipelineResult, runLocalPipeline } from "../../../scripts/pipeline/runLocalPipeline.js";
import { skipWithoutClickHouse } from "../sink/clickhouseGate.js";

/** Mean of a list, or null: the chain-side twin of DurationStats.avg. */
const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The chain metrics the pipeline reports from ClickHouse, checked against the
 * same metrics computed here straight from the devnet's canonical blocks and
 * inbox logs over RPC — no pipeline code on this side.
 */
describe.skipIf(skipWithoutClickHouse())("chain metrics from ClickHouse vs the devnet chain", () => {
  let l1: AnvilNode;
  let l2: AnvilNode;
  let server: ClickHouseServer;
  let result: LocalPipelineResult;
  let inbox: `0x${string}`;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    [l1, l2, server] = await Promise.all([
      startAnvil({ chainId: 31337 }),
      startAnvil({ chainId: 167000 }),
      startClickHouse(),
    ]);
    // A finished story with reorgs on both chains, then the pipeline ingests it as it would real chains.
    const devnet = createDevnet({
      l1Url: l1.url,
      l2Url: l2.url,
      seed: 11,
      knobs: { l2ReorgProbability: 0.1, l1ReorgProbability: 0.2, pacingMsPerL2Block: 0 },
    });
    inbox = (await devnet.deploy()).inbox;
    await devnet.run({ l2Blocks: 60 });
    await devnet.settle();
    result = await runLocalPipeline({
      rpc: { l1Urls: [l1.url], l2Urls: [l2.url], inbox, l1From: 0, l2From: 0, confirmations: 0 },
      durationMs: 500,
      clickhouse: { url: server.url, database: "devnet_metrics" },
      duplicateProbability: 0.2,
      poisonMessages: 0,
      ingestorBudgetMs: 3_000,
      scheduleEveryMs: 2_000,
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([l1?.stop(), l2?.stop(), server?.stop()]);
  });

  it("verifies the sink and reports L2 cadence, TPS, prove and verify time equal to the chain's own", async () => {
    expect(result.problems).toEqual([]);
    const c1 = createPublicClient({ transport: http(l1.url) }) as PublicClient;
    const c2 = createPublicClient({ transport: http(l2.url) }) as PublicClient;

    // L2 side: canonical blocks 0 … head
    const head = Number(await c2.getBlockNumber());
    const blocks = await Promise.all(
      Array.from({ length: head + 1 }, (_, n) => c2.getBlock({ blockNumber: BigInt(n) })),
    );
    const ts = blocks.map((b) => Number(b.timestamp));
    const cadence = ts.slice(1).map((t, i) => t - (ts[i] as number));
    const txs = blocks.reduce((a, b) => a + b.transactions.length, 0);

    // L1 side: the inbox logs of the canonical chain, each placed at its block's timestamp
    const logs = parseEventLogs({ abi: inboxAbi, logs: await c1.getLogs({ address: inbox, fromBlock: 0n }) });
    const blockTs = new Map<bigint, number>();
    for (const log of logs) {
      if (!blockTs.has(log.blockNumber))
        blockTs.set(log.blockNumber, Number((await c1.getBlock({ blockNumber: log.blockNumber })).timestamp));
    }
    const at = (log: (typeof logs)[number]) => blockTs.get(log.blockNumber) as number;
    const proposedAt = new Map<bigint, number>();
    const firstProof = new Map<bigint, number>();
    const verifications: { id: bigint; t: number }[] = [];
    for (const log of logs) {
      if (log.eventName === "BatchProposed") {
        const id = log.args.meta.batchId;
        proposedAt.set(id, Math.min(proposedAt.get(id) ?? Number.POSITIVE_INFINITY, at(log)));
      } else if (log.eventName === "BatchesProved") {
        for (const id of log.args.batchIds)
          firstProof.set(id, Math.min(firstProof.get(id) ?? Number.POSITIVE_INFINITY, at(log)));
      } else if (log.eventName === "BatchesVerified") {
        verifications.push({ id: log.args.batchId, t: at(log) });
      }
    }
    const proveTimes = [...firstProof].flatMap(([id, t]) =>
      proposedAt.has(id) ? [t - (proposedAt.get(id) as number)] : [],
    );
    const verifyTimes = [...firstProof].flatMap(([id, t]) => {
      const covering = verifications.filter((v) => v.id >= id).map((v) => v.t);
      return covering.length > 0 ? [Math.min(...covering) - t] : [];
    });

    // Assess
    const m = result.metrics;
    expect(proveTimes.length).toBeGreaterThan(5);
    expect(txs).toBeGreaterThan(0);
    expect(m.l2Blocks).toBe(head + 1);
    expect(m.l2Transactions).toBe(txs);
    expect(m.l2BlockCadence.samples).toBe(cadence.length);
    expect(m.l2BlockCadence.avg).toBeCloseTo(mean(cadence) as number, 9);
    expect(m.tps).toBeCloseTo(txs / ((ts[head] as number) - (ts[0] as number)), 9);
    expect(m.proveTime.samples).toBe(proveTimes.length);
    expect(m.proveTime.avg).toBeCloseTo(mean(proveTimes) as number, 9);
    expect(m.verifyTime.samples).toBe(verifyTimes.length);
    expect(m.verifyTime.avg).toBeCloseTo(mean(verifyTimes) as number, 9);
    expect(result.sink).toContain("clickhouse");
  });
});
