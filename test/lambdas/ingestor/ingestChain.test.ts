import { custom, type Hex, hexToNumber, numberToHex } from "viem";
import { describe, expect, it } from "vitest";
import { createTransportChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { ingestChain } from "../../../lambdas/ingestor/ingestChain.js";
import { createPublishedHashes } from "../../../lambdas/ingestor/publishedHashes.js";
import { ReorgTooDeepError, RpcError } from "../../../lambdas/shared/errors.js";
import type { PipelineEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import {
  createFaultInjector,
  type FaultInjector,
  FaultPoint,
  InjectedCrash,
} from "../../../lambdas/shared/faultPoints.js";
import { IngestorMetric } from "../../../lambdas/shared/metricNames.js";
import {
  collectingLogger,
  collectingMetrics,
  createMemoryCursorStore,
  createMemoryHashItems,
  type FakeBlock,
  fakeChain,
  INBOX,
  rpcBlock,
} from "./helpers.js";

/** A node whose chain the test can swap, as a reorg does. */
function fakeNode(initial: FakeBlock[]) {
  const node = { chain: initial, logs: [] as unknown[] };
  const client = createTransportChainClient(
    custom(
      {
        async request({ method, params }) {
          const [tag] = params as [Hex | "latest"];
          if (method === "eth_getBlockByNumber") {
            const block = tag === "latest" ? node.chain.at(-1) : node.chain[hexToNumber(tag as Hex)];
            return block ? rpcBlock(block) : null;
          }
          if (method === "eth_getLogs") return node.logs;
          throw new Error(`unexpected ${method}`);
        },
      },
      { retryCount: 0 },
    ),
  );
  return { node, client };
}

function setup(
  chain: FakeBlock[],
  options: {
    recentHashes?: number;
    inbox?: boolean;
    toBlock?: number;
    maxBlocksPerRange?: number;
    /** Record published hashes (items of this many blocks) and walk reorgs back up to this depth. */
    record?: { blocksPerItem: number; maxReorgDepth: number };
  } = {},
) {
  const { node, client } = fakeNode(chain);
  const store = createMemoryCursorStore({ recentHashes: options.recentHashes });
  const items = createMemoryHashItems(store);
  const record = options.record ? createPublishedHashes({ items, ...options.record }) : undefined;
  const metrics = collectingMetrics();
  const published: PipelineEvent[][] = [];
  let failPublish = false;
  const poll = async (faults?: FaultInjector) => {
    const cursor = await store.acquireLease("l1", "me", 0);
    return ingestChain({
      chain: "l1",
      client,
      store,
      owner: "me",
      cursor,
      settings: {
        startBlock: 0,
        maxBlocksPerRange: options.maxBlocksPerRange ?? 100,
        confirmations: 0,
        inboxAddresses: options.inbox ? [INBOX] : [],
        toBlock: options.toBlock,
      },
      publish: async (events) => {
        if (failPublish) throw new RpcError("queue unavailable");
        published.push([...events]);
      },
      metrics: metrics.sink,
      logger: collectingLogger().logger,
      now: () => 1_700_000_000_000,
      faults,
      ...(record ? { published: record } : {}),
    });
  };
  return {
    node,
    store,
    items,
    metrics,
    published,
    poll,
    failPublishing: (fail: boolean) => {
      failPublish = fail;
    },
  };
}

const numbersOf = (events: readonly PipelineEvent[]) =>
  events.flatMap((e) => (e.type === "l1_header" ? [[e.number, e.hash]] : []));

describe("ingestChain", () => {
  it("publishes the new headers, then advances the cursor; caught up, it publishes nothing", async () => {
    // Prepare
    const chain = fakeChain(10);
    const t = setup(chain);

    // Act
    const first = await t.poll();
    const second = await t.poll();

    // Assess
    expect(t.published).toHaveLength(1);
    expect(numbersOf(t.published[0] ?? [])).toEqual(chain.map((b) => [b.number, b.hash]));
    expect(first).toMatchObject({ blocks: 10, caughtUp: true, head: 9 });
    expect(second).toMatchObject({ blocks: 0, caughtUp: true });
    expect(t.store.peek("l1").next).toBe(10);
    expect(t.metrics.total(IngestorMetric.BlocksIngested, "l1")).toBe(10);
  });

  it("stops at toBlock, a backfill's end, in ranges, however far the head is", async () => {
    // Prepare: a chain of 30 blocks, a backfill of 0..16 in ranges of 7
    const chain = fakeChain(30);
    const t = setup(chain, { toBlock: 16, maxBlocksPerRange: 7 });

    // Act
    const polls = [await t.poll(), await t.poll(), await t.poll(), await t.poll()];

    // Assess: 0..6, 7..13, 14..16, then nothing; the head is still reported as the chain's
    expect(polls.map((p) => [p.blocks, p.caughtUp])).toEqual([
      [7, false],
      [7, false],
      [3, true],
      [0, true],
    ]);
    expect(polls[0]).toMatchObject({ head: 29, end: 16 });
    expect(t.published.flatMap(numbersOf)).toEqual(chain.slice(0, 17).map((b) => [b.number, b.hash]));
    expect(t.store.peek("l1").next).toBe(17);
  });

  it("orphans blocks published by an attempt that died before advancing, once the chain replaces them", async () => {
    // Prepare: blocks 0..4 ingested; 5..9 published, then the runtime dies before the cursor moves
    const old = fakeChain(10);
    const t = setup(old.slice(0, 5));
    await t.poll();
    t.node.chain = old;
    const diesAfterPublish = createFaultInjector((point) => point === FaultPoint.IngestorAfterPublish);
    await expect(t.poll(diesAfterPublish)).rejects.toBeInstanceOf(InjectedCrash);
    expect(t.store.peek("l1").next).toBe(5);
    // The chain forks after block 6: the published 7..9 are gone, and no cursor ever held them.
    const fork = fakeChain(12, "fork", old.slice(0, 7));
    t.node.chain = fork;

    // Act
    await t.poll();

    // Assess
    const events = t.published[2] ?? [];
    const reorg = events[0] as ReorgEvent;
    expect(reorg).toMatchObject({
      type: "reorg",
      chain: "l1",
      depth: 3,
      commonAncestor: { number: 4, hash: old[4]?.hash },
    });
    expect(reorg.orphaned).toEqual(old.slice(7).map((b) => ({ number: b.number, hash: b.hash })));
    expect(numbersOf(events)).toEqual(fork.slice(5).map((b) => [b.number, b.hash]));
    expect(t.store.peek("l1")).toMatchObject({ next: 12 });
    expect(t.store.peek("l1").pending ?? []).toEqual([]);
  });

  it.each([
    { maxBlocksPerRange: 100, what: "in one range" },
    { maxBlocksPerRange: 2, what: "over several ranges" },
  ])(
    "restores what an attempt that died after publishing a reorg orphaned, when the chain flips back (A→B→A), $what",
    async ({ maxBlocksPerRange }) => {
      // Prepare: blocks 0..9 (branch A) ingested; the chain forks after 6 (branch B); the attempt that
      // publishes that reorg (A7..A9 orphaned) dies before the cursor moves; then the chain flips back to A.
      const a = fakeChain(10);
      const t = setup(a, { maxBlocksPerRange });
      const pollToHead = async () => {
        for (let i = 0; i < 20 && !(await t.poll()).caughtUp; i++);
      };
      await pollToHead();
      t.node.chain = fakeChain(12, "fork", a.slice(0, 7));
      const diesAfterPublish = createFaultInjector((point) => point === FaultPoint.IngestorAfterPublish);
      await expect(t.poll(diesAfterPublish)).rejects.toBeInstanceOf(InjectedCrash);
      expect(t.store.peek("l1").next).toBe(10);
      const back = fakeChain(12, "main", a);
      t.node.chain = back;

      // Act
      await pollToHead();

      // Assess: by every mark published (the latest seq wins), each block of the chain is canonical, and
      // nothing of branch B is; the cursor holds branch A.
      const latest = new Map<string, { seq: number; state: "orphaned" | "restored" }>();
      for (const e of t.published.flat()) {
        if (e.type !== "reorg") continue;
        const seq = e.seq ?? 0;
        const marks = [
          ...e.orphaned.map((b) => ({ hash: b.hash, state: "orphaned" as const })),
          ...(e.restored ?? []).map((b) => ({ hash: b.hash, state: "restored" as const })),
        ];
        for (const m of marks)
          if ((latest.get(m.hash)?.seq ?? -1) <= seq) latest.set(m.hash, { seq, state: m.state });
      }
      const hidden = back.filter((b) => latest.get(b.hash)?.state === "orphaned").map((b) => b.number);
      expect(hidden).toEqual([]);
      // Every block of branch B that went out (the dead attempt's range) is orphaned again.
      const sent = new Set(t.published.flat().flatMap((e) => (e.type === "l1_header" ? [e.hash] : [])));
      const fork = fakeChain(12, "fork", a.slice(0, 7))
        .slice(7)
        .filter((b) => sent.has(b.hash));
      expect(fork.length).toBeGreaterThan(0);
      expect(fork.filter((b) => latest.get(b.hash)?.state !== "orphaned").map((b) => b.number)).toEqual([]);
      expect(t.store.peek("l1")).toMatchObject({ next: 12 });
      expect(t.store.peek("l1").recent.at(-1)).toEqual({ number: 11, hash: back[11]?.hash });
    },
  );

  it("walks back to the common ancestor on a reorg, publishes it, then the new canonical blocks", async () => {
    // Prepare: blocks 0..9 ingested, then the chain forks after block 6 and grows to 11
    const old = fakeChain(10);
    const t = setup(old);
    await t.poll();
    const fork = fakeChain(12, "fork", old.slice(0, 7));
    t.node.chain = fork;

    // Act
    const result = await t.poll();

    // Assess
    const events = t.published[1] ?? [];
    const reorg = events[0] as ReorgEvent;
    expect(reorg).toMatchObject({
      type: "reorg",
      chain: "l1",
      depth: 3,
      commonAncestor: { number: 6, hash: old[6]?.hash },
      orphaned: old.slice(7).map((b) => ({ number: b.number, hash: b.hash })),
      newHead: { number: 11, hash: fork[11]?.hash },
    });
    expect(numbersOf(events)).toEqual(fork.slice(7).map((b) => [b.number, b.hash]));
    expect(result.reorg?.depth).toBe(3);
    expect(t.store.peek("l1").next).toBe(12);
    expect(t.store.peek("l1").recent.at(-1)).toEqual({ number: 11, hash: fork[11]?.hash });
    expect(t.metrics.total(IngestorMetric.ReorgDepth, "l1")).toBe(3);
  });

  it("detects a reorg onto a shorter chain while caught up", async () => {
    // Prepare
    const old = fakeChain(10);
    const t = setup(old);
    await t.poll();
    t.node.chain = fakeChain(8, "short", old.slice(0, 6));

    // Act
    await t.poll();

    // Assess
    const events = t.published[1] ?? [];
    expect(events[0]).toMatchObject({ type: "reorg", depth: 4, commonAncestor: { number: 5 } });
    expect(numbersOf(events).map(([n]) => n)).toEqual([6, 7]);
    expect(t.store.peek("l1").next).toBe(8);
  });

  it("refuses a reorg deeper than the remembered hashes, publishing nothing", async () => {
    // Prepare
    const old = fakeChain(10);
    const t = setup(old, { recentHashes: 3 });
    await t.poll();
    t.node.chain = fakeChain(12, "deep", old.slice(0, 3));

    // Act
    const error = await t.poll().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ReorgTooDeepError);
    expect(t.published).toHaveLength(1);
    expect(t.store.peek("l1").next).toBe(10);
  });

  it("walks a reorg deeper than the window back over the published hashes: every orphan named once, the new branch published", async () => {
    // Prepare: a 3-hash window, 40 blocks published in ranges of 7; the chain forks above block 9
    const old = fakeChain(40);
    const t = setup(old, {
      recentHashes: 3,
      maxBlocksPerRange: 7,
      record: { blocksPerItem: 3, maxReorgDepth: 50 },
    });
    while (!(await t.poll()).caughtUp);
    const before = t.published.length;
    t.node.chain = fakeChain(45, "deep", old.slice(0, 10));

    // Act
    while (!(await t.poll()).caughtUp);

    // Assess
    const events = t.published.slice(before).flat();
    const reorgs = events.filter((e): e is ReorgEvent => e.type === "reorg");
    const orphaned = reorgs.flatMap((r) => r.orphaned.map((b) => b.hash));
    expect(reorgs[0]).toMatchObject({ commonAncestor: { number: 9, hash: old[9]?.hash }, depth: 30 });
    expect(new Set(orphaned).size).toBe(orphaned.length);
    expect(orphaned.sort()).toEqual(
      old
        .slice(10)
        .map((b) => b.hash)
        .sort(),
    );
    const republished = numbersOf(events);
    expect(republished).toEqual(t.node.chain.slice(10).map((b) => [b.number, b.hash]));
    const restored = reorgs.flatMap((r) => (r.restored ?? []).map((b) => b.hash));
    expect(new Set(restored).size).toBe(restored.length);
    // Restored: the new branch up to the highest block ever published (above it, blocks are new).
    expect(restored).toEqual(t.node.chain.slice(10, 40).map((b) => b.hash));
    expect(t.store.peek("l1").next).toBe(45);
  });

  it("refuses a reorg deeper than MAX_REORG_DEPTH, naming the repair command, and publishes nothing", async () => {
    // Prepare
    const old = fakeChain(40);
    const t = setup(old, {
      recentHashes: 3,
      maxBlocksPerRange: 7,
      record: { blocksPerItem: 3, maxReorgDepth: 20 },
    });
    while (!(await t.poll()).caughtUp);
    const before = t.published.length;
    t.node.chain = fakeChain(45, "deep", old.slice(0, 10));

    // Act
    const error = await t.poll().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ReorgTooDeepError);
    expect((error as Error).message).toMatch(/MAX_REORG_DEPTH \(20\).*tidemark repair --chain l1 --from/);
    expect(t.published).toHaveLength(before);
    expect(t.store.peek("l1").next).toBe(40);
  });

  it("refuses rather than guess where the published hashes below the window were not recorded", async () => {
    // Prepare: the cursor starts at block 20 (as after an upgrade): nothing below it was recorded
    const old = fakeChain(40);
    const t = setup(old, {
      recentHashes: 3,
      maxBlocksPerRange: 7,
      record: { blocksPerItem: 3, maxReorgDepth: 50 },
    });
    t.store.seed("l1", {
      next: 20,
      recent: old.slice(17, 20).map(({ number, hash }) => ({ number, hash })),
      lease: undefined,
    });
    while (!(await t.poll()).caughtUp);
    t.node.chain = fakeChain(45, "deep", old.slice(0, 10));

    // Act
    const error = await t.poll().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ReorgTooDeepError);
    expect((error as Error).message).toMatch(/blocks \d+\.\.\d+ are not recorded/);
  });

  it("does not move the cursor when publishing fails, and republishes the same range next time", async () => {
    // Prepare
    const chain = fakeChain(5);
    const t = setup(chain);
    t.failPublishing(true);

    // Act
    const error = await t.poll().catch((e: unknown) => e);
    const cursorAfterFailure = t.store.peek("l1").next;
    t.failPublishing(false);
    await t.poll();

    // Assess
    expect(error).toBeInstanceOf(RpcError);
    expect(cursorAfterFailure).toBeUndefined();
    expect(numbersOf(t.published[0] ?? []).map(([n]) => n)).toEqual([0, 1, 2, 3, 4]);
    expect(t.store.peek("l1").next).toBe(5);
  });

  it("rejects logs from a block hash other than the header just read (the chain moved between reads)", async () => {
    // Prepare
    const chain = fakeChain(5);
    const t = setup(chain, { inbox: true });
    t.node.logs = [
      {
        address: INBOX,
        topics: [`0x${"ee".repeat(32)}`],
        data: "0x",
        blockNumber: numberToHex(3),
        blockHash: `0x${"99".repeat(32)}`,
        transactionHash: `0x${"01".repeat(32)}`,
        logIndex: "0x0",
        transactionIndex: "0x0",
        removed: false,
      },
    ];

    // Act
    const error = await t.poll().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RpcError);
    expect(t.published).toHaveLength(0);
    expect(t.store.peek("l1").next).toBeUndefined();
  });
});
