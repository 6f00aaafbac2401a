import { custom, type Hex, hexToNumber, numberToHex, ResponseBodyTooLargeError, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  type ChainClient,
  combineProviders,
  createTransportChainClient,
} from "../../../lambdas/ingestor/chainReader.js";
import { inboxEventTopics } from "../../../lambdas/ingestor/decodeInbox.js";
import { ingestChain } from "../../../lambdas/ingestor/ingestChain.js";
import { bloomBits } from "../../../lambdas/ingestor/logBloom.js";
import type { Rejection } from "../../../lambdas/ingestor/rejections.js";
import { RpcError } from "../../../lambdas/shared/errors.js";
import type { PipelineEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import { IngestorMetric } from "../../../lambdas/shared/metricNames.js";
import {
  collectingLogger,
  collectingMetrics,
  createMemoryCursorStore,
  type FakeBlock,
  fakeChain,
  INBOX,
  rpcBlock,
} from "./helpers.js";

interface NodeOptions {
  /** Answers as of this many blocks ago: a lower head, `null` above it, `[]` logs for the blocks it lacks. */
  lag?: number;
  down?: boolean;
  /** Logs the node has indexed, by block number (a range answer includes only these). */
  indexedLogs?: (block: number) => boolean;
  /** Blocks whose timestamp this node reports wrong. */
  badTimestamps?: Set<number>;
  /** Blocks whose logs are larger than any answer may be. */
  oversized?: Set<number>;
}

/** A provider over a swappable chain, with the faults real providers have. */
function fakeProvider(world: { chain: FakeBlock[]; logs: RpcLogShape[] }, options: NodeOptions = {}) {
  const calls: string[] = [];
  const client = createTransportChainClient(
    custom({
      async request({ method, params }) {
        calls.push(method);
        if (options.down) throw new Error("connection refused");
        const visible = world.chain.slice(0, Math.max(0, world.chain.length - (options.lag ?? 0)));
        const [arg] = params as [Hex | "latest" | Record<string, Hex>];
        if (method === "eth_getBlockByNumber") {
          const block = arg === "latest" ? visible.at(-1) : visible[hexToNumber(arg as Hex)];
          if (!block) return null;
          const answer = rpcBlock(block);
          return options.badTimestamps?.has(block.number)
            ? { ...answer, timestamp: numberToHex(2n ** 40n) }
            : answer;
        }
        if (method === "eth_getLogs") {
          const filter = arg as { fromBlock?: Hex; toBlock?: Hex; blockHash?: Hex };
          if (filter.blockHash) {
            if (!visible.some((b) => b.hash === filter.blockHash)) throw new Error("unknown block");
            return world.logs.filter((l) => l.blockHash === filter.blockHash);
          }
          const from = hexToNumber(filter.fromBlock as Hex);
          const to = hexToNumber(filter.toBlock as Hex);
          for (let n = from; n <= to; n++) {
            if (options.oversized?.has(n))
              throw new ResponseBodyTooLargeError({ maxSize: 10_485_760, size: 2e7 });
          }
          return world.logs.filter((l) => {
            const n = hexToNumber(l.blockNumber);
            return n >= from && n <= to && n < visible.length && (options.indexedLogs?.(n) ?? true);
          });
        }
        throw new Error(`unexpected ${method}`);
      },
    }),
  );
  return { client, calls };
}

interface RpcLogShape {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: Hex;
  transactionIndex: Hex;
  removed: boolean;
}

/** An inbox log in `block` (a BatchesVerified with a bad body when `undecodable`). */
function inboxLog(block: FakeBlock, undecodable = false): RpcLogShape {
  return {
    address: INBOX,
    topics: [inboxEventTopics[2] as Hex],
    // BatchesVerified(uint64 batchId, bytes32 blockHash): batch 7; a short body does not decode.
    data: undecodable ? "0x1234" : `${numberToHex(7, { size: 32 })}${"ab".repeat(32)}`,
    blockNumber: numberToHex(block.number),
    blockHash: block.hash,
    transactionHash: `0x${"0c".repeat(32)}`,
    logIndex: "0x3",
    transactionIndex: "0x0",
    removed: false,
  };
}

/** A bloom holding the inbox address and a topic, as a block with an inbox log has. */
function inboxBloom(): Hex {
  const bytes = new Uint8Array(256);
  for (const value of [INBOX, inboxEventTopics[2] as Hex]) {
    for (const { byte, mask } of bloomBits(value)) bytes[byte] = (bytes[byte] as number) | mask;
  }
  return toHex(bytes);
}

function setup(client: ChainClient, options: { inbox?: boolean; maxBlocksPerRange?: number } = {}) {
  const store = createMemoryCursorStore();
  const metrics = collectingMetrics();
  const published: PipelineEvent[][] = [];
  const rejected: Rejection[] = [];
  const poll = async () =>
    ingestChain({
      chain: "l1",
      client,
      store,
      owner: "me",
      cursor: await store.acquireLease("l1", "me", 0),
      settings: {
        startBlock: 0,
        maxBlocksPerRange: options.maxBlocksPerRange ?? 100,
        confirmations: 0,
        inboxAddresses: options.inbox ? [INBOX] : [],
      },
      publish: async (events) => {
        published.push([...events]);
      },
      metrics: metrics.sink,
      logger: collectingLogger().logger,
      now: () => 1_700_000_000_000,
      reject: async (rejections) => {
        rejected.push(...rejections);
      },
    });
  const all = () => published.flat();
  const reorgs = () => all().filter((e): e is ReorgEvent => e.type === "reorg");
  return { store, metrics, published, rejected, poll, all, reorgs };
}

const refs = (blocks: readonly FakeBlock[]) => blocks.map((b) => ({ number: b.number, hash: b.hash }));

describe("ingestChain with lagging and disagreeing providers", () => {
  it("never takes a lagging fallback for a reorg: nothing is orphaned, the healthy provider goes on", async () => {
    // Prepare: the primary serves 0..9; then it is down and the fallback is 4 blocks behind
    const world = { chain: fakeChain(10), logs: [] };
    const primary = { chain: world.chain, logs: [] as RpcLogShape[] };
    const healthy = fakeProvider(primary);
    const lagging = fakeProvider(world, { lag: 4 });
    const down = { value: false };
    const primaryClient = createTransportChainClient(
      custom({
        request: async (args) => {
          if (down.value) throw new Error("503 from the primary");
          return healthy.client.client.request(args as never);
        },
      }),
    );
    const t = setup(combineProviders([primaryClient, lagging.client]));
    await t.poll();
    down.value = true;

    // Act: two polls while the primary is down and the fallback behind, then the primary is back
    const whileBehind = [await t.poll().catch((e: unknown) => e), await t.poll().catch((e: unknown) => e)];
    down.value = false;
    primary.chain = fakeChain(12, "main", world.chain);
    world.chain = primary.chain;
    await t.poll();

    // Assess
    expect(t.reorgs()).toEqual([]);
    // A failed poll (the primary is down), retried later: never an orphan mark.
    for (const outcome of whileBehind) expect(outcome).toBeInstanceOf(RpcError);
    expect(t.published).toHaveLength(2);
    expect(t.store.peek("l1").next).toBe(12);
    expect(t.metrics.total(IngestorMetric.ProviderBehind, "l1")).toBeGreaterThan(0);
    expect(t.metrics.total(IngestorMetric.ReorgsDetected, "l1")).toBe(0);
  });

  it("takes a load-balanced URL that alternates between a healthy and a lagging backend for neither a reorg nor a gap", async () => {
    // Prepare: one URL, each request served by either backend (a seeded coin), one 3 blocks behind
    const world = { chain: fakeChain(8), logs: [] };
    const healthy = fakeProvider(world);
    const lagging = fakeProvider(world, { lag: 3 });
    let seed = 7;
    const coin = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 2 === 0;
    };
    const balanced = createTransportChainClient(
      custom({ request: async (args) => (coin() ? healthy : lagging).client.client.request(args as never) }),
    );
    const t = setup(balanced, { maxBlocksPerRange: 3 });

    // Act: follow the chain as it grows
    for (let i = 0; i < 12; i++) {
      await t.poll();
      if (i % 3 === 2) world.chain = fakeChain(world.chain.length + 2, "main", world.chain);
    }
    for (let i = 0; i < 50 && t.store.peek("l1").next !== world.chain.length; i++)
      await t.poll().catch(() => undefined);

    // Assess: every block once, in order, no reorg
    expect(t.reorgs()).toEqual([]);
    const numbers = t.all().flatMap((e) => (e.type === "l1_header" ? [e.number] : []));
    expect([...new Set(numbers)]).toEqual(world.chain.map((b) => b.number));
  });

  it("publishes an A→B→A flip as two reorgs: the second restores A's blocks under a later seq", async () => {
    // Prepare
    const a = fakeChain(10);
    const b = fakeChain(11, "b", a.slice(0, 6));
    const world = { chain: a, logs: [] };
    const t = setup(fakeProvider(world).client);
    await t.poll();

    // Act
    world.chain = b;
    await t.poll();
    world.chain = fakeChain(12, "main", a);
    await t.poll();

    // Assess
    const [toB, backToA] = t.reorgs();
    expect(toB).toMatchObject({ seq: 1, depth: 4, orphaned: refs(a.slice(6)), restored: refs(b.slice(6)) });
    expect(backToA).toMatchObject({ seq: 2, depth: 5, orphaned: refs(b.slice(6)) });
    expect(backToA?.restored).toEqual(refs(world.chain.slice(6)));
    expect(t.store.peek("l1")).toMatchObject({ next: 12, reorgSeq: 2 });
  });

  it("restores re-read blocks published before a reorg in later ranges too, until it passes the old tip", async () => {
    // Prepare: A is 30 blocks; B forks at 4 (shorter); back to A, read 10 blocks a range
    const a = fakeChain(30);
    const world = { chain: a, logs: [] };
    const t = setup(fakeProvider(world).client, { maxBlocksPerRange: 10 });
    for (let i = 0; i < 3; i++) await t.poll();
    world.chain = fakeChain(8, "b", a.slice(0, 5));
    await t.poll();

    // Act
    world.chain = a;
    for (let i = 0; i < 4; i++) await t.poll();

    // Assess: every A block above the fork was restored by some seq after the one that orphaned it
    const restored = new Set(
      t
        .reorgs()
        .filter((r) => (r.seq ?? 0) > 1)
        .flatMap((r) => (r.restored ?? []).map((x) => x.hash)),
    );
    for (const block of a.slice(5)) expect(restored.has(block.hash)).toBe(true);
  });
});

describe("ingestChain log answers", () => {
  it("reads a block again by hash when its bloom holds inbox logs but the range answer was empty", async () => {
    // Prepare: block 3 has an inbox log; the node's log index has not reached it yet
    const chain = fakeChain(6).map((b) => (b.number === 3 ? { ...b, logsBloom: inboxBloom() } : b));
    const world = { chain, logs: [] as RpcLogShape[] };
    world.logs = [inboxLog(chain[3] as FakeBlock)];
    const t = setup(fakeProvider(world, { indexedLogs: () => false }).client, { inbox: true });

    // Act
    await t.poll();

    // Assess
    expect(t.all().filter((e) => e.type === "batches_verified")).toHaveLength(1);
    expect(t.metrics.total(IngestorMetric.LogsRefetchedByHash, "l1")).toBe(1);
  });

  it("dead-letters an undecodable inbox log with topic, tx, log index and reason, and the chain goes on", async () => {
    // Prepare
    const chain = fakeChain(6).map((b) => (b.number === 2 ? { ...b, logsBloom: inboxBloom() } : b));
    const world = { chain, logs: [inboxLog(chain[2] as FakeBlock, true)] };
    const t = setup(fakeProvider(world).client, { inbox: true });

    // Act
    await t.poll();

    // Assess
    expect(t.rejected).toEqual([
      expect.objectContaining({
        kind: "undecodable_log",
        blockNumber: 2,
        txHash: `0x${"0c".repeat(32)}`,
        logIndex: 3,
        topics: world.logs[0]?.topics,
        reason: expect.stringMatching(/.+/),
      }),
    ]);
    expect(t.store.peek("l1").next).toBe(6);
    expect(t.metrics.total(IngestorMetric.RecordsRejected, "l1")).toBe(1);
  });

  it("splits a log answer over the response limit down to one block, and rejects that block without stopping", async () => {
    // Prepare: block 5's logs alone exceed the limit
    const chain = fakeChain(9);
    const world = { chain, logs: [] };
    const t = setup(fakeProvider(world, { oversized: new Set([5]) }).client, { inbox: true });

    // Act
    const result = await t.poll();

    // Assess
    expect(result.blocks).toBe(9);
    expect(t.rejected).toEqual([
      expect.objectContaining({ kind: "oversized_logs", blockNumber: 5, blockHash: chain[5]?.hash }),
    ]);
    expect(t.metrics.total(IngestorMetric.LogRangeSplits, "l1")).toBeGreaterThanOrEqual(3);
    expect(t.store.peek("l1").next).toBe(9);
  });
});

describe("ingestChain block timestamps", () => {
  it("reads from the next provider when one reports an out-of-range timestamp", async () => {
    // Prepare
    const world = { chain: fakeChain(5), logs: [] };
    const bad = fakeProvider(world, { badTimestamps: new Set([3]) });
    const good = fakeProvider(world);
    const t = setup(combineProviders([bad.client, good.client]));

    // Act
    await t.poll();

    // Assess
    const stamps = t.all().flatMap((e) => (e.type === "l1_header" ? [e.timestamp] : []));
    expect(stamps).toEqual(world.chain.map((b) => b.timestamp));
    expect(t.rejected).toEqual([]);
  });

  it("contains a block every provider reports with an out-of-range timestamp, with its reason, and goes on", async () => {
    // Prepare
    const world = { chain: fakeChain(5), logs: [] };
    const t = setup(fakeProvider(world, { badTimestamps: new Set([3]) }).client);

    // Act
    await t.poll();

    // Assess
    const numbers = t.all().flatMap((e) => (e.type === "l1_header" ? [e.number] : []));
    expect(numbers).toEqual([0, 1, 2, 4]);
    expect(t.rejected).toEqual([
      expect.objectContaining({
        kind: "invalid_header",
        blockNumber: 3,
        reason: expect.stringMatching(/timestamp/),
      }),
    ]);
    expect(t.store.peek("l1").next).toBe(5);
  });
});
