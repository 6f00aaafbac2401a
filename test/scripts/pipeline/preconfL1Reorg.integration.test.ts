import { createPublicClient, type Hex, http, type PublicClient, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDashboardData } from "../../../lambdas/api/queries/readDashboardData.js";
import { epochStartOf, preconfWhitelistAbi } from "../../../lambdas/shared/taiko/preconfWhitelistAbi.js";
import { PRECONF_SCHEDULE } from "../../../scripts/devnet/preconfWhitelist.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";

interface Read {
  l1_block_hash: string;
  trigger: string;
  current_operator: string;
  next_operator: string;
  candidates: string;
}

const READ_COLUMNS = "l1_block_hash, trigger, current_operator, next_operator, candidates";

/**
 * An L1 reorg that orphans the block where the whitelist's operator removal was read: the local pipeline
 * (the ingestor and processor handlers) reads that block, then the devnet reorgs it out and re-includes
 * the removal one block later (l1ReorgAfterTicks). The canonical view must retract the first read, and
 * the read of the new chain's block must be what the dashboard's card shows — equal to the contract's
 * own answers at that block, read here with viem.
 */
describe("preconf operator-change reads across an L1 reorg (local pipeline on the devnet)", () => {
  let pipeline: LocalPipeline;
  let l1: PublicClient;
  let whitelist: Hex;

  /** The L1 block holding the whitelist's OperatorRemoved on the chain as it is now. */
  const removalBlock = async () => {
    const logs = parseEventLogs({
      abi: preconfWhitelistAbi,
      eventName: "OperatorRemoved",
      logs: await l1.getLogs({ address: whitelist, fromBlock: 0n }),
    });
    const log = logs[0];
    return log ? await l1.getBlock({ blockHash: log.blockHash }) : undefined;
  };
  /** Everything the chain holds is ingested and applied. */
  const ingested = async () => {
    expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 60_000 });
  };
  const readsAt = (table: string, hash: string) =>
    pipeline.sink.query<Read>(`SELECT ${READ_COLUMNS} FROM ${table} WHERE l1_block_hash = '${hash}'`);
  const card = async () =>
    (await readDashboardData(pipeline.sink, { range: { gte: 0, lt: 2 ** 31 - 1 }, limit: 10 } as never)).cards
      .preconf;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    // One L1 tick per step (L2 and L1 at 12 s), no drawn reorgs, no Shasta: the scheduled reorg is the only one.
    pipeline = await createLocalPipeline({
      devnet: {
        seed: 12,
        knobs: {
          l2BlockTimeSec: 12,
          l1ReorgProbability: 0,
          l2ReorgProbability: 0,
          shastaActivationDelaySec: 0,
          l1ReorgAfterTicks: [PRECONF_SCHEDULE.removeAtTick],
        },
      },
    });
    l1 = createPublicClient({ transport: http(pipeline.nodeUrls.l1) }) as PublicClient;
    whitelist = pipeline.network?.forks.find((f) => f.contracts.preconfWhitelist)?.contracts
      .preconfWhitelist as Hex;
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it("retracts the orphaned read from the canonical view and shows the new chain's read on the dashboard card", async () => {
    // Prepare: step until the removal is mined, and ingest it
    const devnet = pipeline.devnet;
    if (!devnet) throw new Error("the local pipeline started no devnet");
    for (let i = 0; i < 2 * PRECONF_SCHEDULE.removeAtTick && !(await removalBlock()); i++)
      await devnet.step();
    const orphaned = await removalBlock();
    if (!orphaned) throw new Error("the devnet mined no OperatorRemoved");
    await ingested();
    const before = { raw: await readsAt("preconf_epochs", orphaned.hash), card: await card() };

    // Act: the next tick reorgs that block out and mines the removal again, one block later
    await devnet.step();
    await ingested();
    const replaced = await removalBlock();
    if (!replaced) throw new Error("the removal was not re-included");
    const after = {
      raw: await readsAt("preconf_epochs", orphaned.hash),
      canonical: await readsAt("canonical_preconf_epochs", orphaned.hash),
      reread: await readsAt("canonical_preconf_epochs", replaced.hash),
      card: await card(),
    };
    // The card shows the newest epoch's latest read: the re-read, unless the tick's own block (mined on
    // top, in the same step) starts the next epoch (the genesis time, so the epoch grid, is the wall clock's).
    const head = await l1.getBlock();
    const epochOf = (b: { timestamp: bigint }) =>
      epochStartOf(Number(b.timestamp), pipeline.network?.l1ChainId ?? 0);
    const shown = epochOf(head) === epochOf(replaced) ? replaced : head;
    const chain = async (
      functionName: "getOperatorForCurrentEpoch" | "getOperatorForNextEpoch",
      at: { number: bigint } = shown,
    ) =>
      (
        (await l1.readContract({
          address: whitelist,
          abi: preconfWhitelistAbi,
          functionName,
          blockNumber: at.number,
        })) as string
      ).toLowerCase();

    // Assess: the removal's block was read and shown; the reorg really orphaned it
    expect(devnet.reorgs.filter((r) => r.chain === "l1").map((r) => r.orphaned[0]?.hash)).toEqual([
      orphaned.hash,
    ]);
    expect(replaced.number).toBe(orphaned.number + 1n);
    expect(before.raw).toHaveLength(1);
    expect(before.card?.readAt.blockHash).toBe(orphaned.hash);
    // The orphaned read is kept in the table but no longer canonical
    expect(after.raw).toEqual(before.raw);
    expect(after.canonical).toEqual([]);
    // The new chain's block was read once, as what it is (an epoch's first block or an operator change)
    expect(after.reread).toHaveLength(1);
    expect(["operator_change", "epoch_start"]).toContain(after.reread[0]?.trigger);
    expect(after.reread[0]).toMatchObject({
      current_operator: await chain("getOperatorForCurrentEpoch", replaced),
      next_operator: await chain("getOperatorForNextEpoch", replaced),
    });
    // The dashboard's card is the newest canonical read: the chain's own answers at that block
    expect(after.card).toMatchObject({
      readAt: { blockNumber: Number(shown.number), blockHash: shown.hash },
      currentOperator: await chain("getOperatorForCurrentEpoch"),
      nextOperator: await chain("getOperatorForNextEpoch"),
    });
    if (shown === replaced) expect(after.card?.candidates.join(",")).toBe(after.reread[0]?.candidates);
    // And the sink verifies against the chain, preconf_epochs included
    const report = await pipeline.verify();
    expect(report.ok).toBe(true);
    expect(report.tables.find((t) => t.table === "preconf_epochs")?.expected).toBeGreaterThan(0);
    expect(report.orphans.l1).toMatchObject({ offChain: 1, marked: 1 });
  });
});
