import { custom, type Hex, hexToNumber } from "viem";
import { describe, expect, it } from "vitest";
import { createTransportChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { ingestChain } from "../../../lambdas/ingestor/ingestChain.js";
import type { ReadAhead } from "../../../lambdas/ingestor/readAhead.js";
import type { PipelineEvent } from "../../../lambdas/shared/events.js";
import {
  collectingLogger,
  collectingMetrics,
  createMemoryCursorStore,
  type FakeBlock,
  fakeChain,
  rpcBlock,
} from "./helpers.js";

/** A node that tells the test which blocks it was asked for, and lets it swap chains at its `n`th head read. */
function watchedNode(initial: FakeBlock[]) {
  const node = {
    chain: initial,
    asked: [] as number[],
    headReads: 0,
    onHeadRead: (_n: number) => {},
  };
  const client = createTransportChainClient(
    custom(
      {
        async request({ method, params }) {
          const [tag] = params as [Hex | "latest"];
          if (method === "eth_getBlockByNumber") {
            if (tag === "latest") node.onHeadRead(++node.headReads);
            else node.asked.push(hexToNumber(tag as Hex));
            const block = tag === "latest" ? node.chain.at(-1) : node.chain[hexToNumber(tag as Hex)];
            return block ? rpcBlock(block) : null;
          }
          if (method === "eth_getLogs") return [];
          throw new Error(`unexpected ${method}`);
        },
      },
      { retryCount: 0 },
    ),
  );
  return { node, client };
}

/** Poll like the ingestor does: each call hands its read-ahead to the next. */
function setup(chain: FakeBlock[], readNextWhilePublishing: boolean) {
  const { node, client } = watchedNode(chain);
  const store = createMemoryCursorStore();
  const log = collectingLogger();
  const published: PipelineEvent[][] = [];
  /** Blocks the node had been asked for when each publish finished. */
  const askedByPublish: number[][] = [];
  let readAhead: ReadAhead | undefined;
  const poll = async () => {
    const cursor = await store.acquireLease("l1", "me", 0);
    const result = await ingestChain({
      chain: "l1",
      client,
      store,
      owner: "me",
      cursor,
      settings: { startBlock: 0, maxBlocksPerRange: 10, confirmations: 0, inboxAddresses: [] },
      publish: async (events) => {
        // A publish that takes a while (SendMessageBatch calls): the event loop turns meanwhile.
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        published.push([...events]);
        askedByPublish.push([...node.asked]);
      },
      metrics: collectingMetrics().sink,
      logger: log.logger,
      now: () => 1_700_000_000_000,
      readNextWhilePublishing,
      readAhead,
    });
    readAhead = result.readAhead;
    return result;
  };
  return { node, store, log, published, askedByPublish, poll };
}

const headersOf = (events: readonly PipelineEvent[]) =>
  events.flatMap((e) => (e.type === "l1_header" ? [`${e.number}:${e.hash}`] : []));

describe("reading the next range while one publishes", () => {
  it("reads range N+1 while range N publishes, and publishes what it would have without reading ahead", async () => {
    // Prepare: 30 blocks, ranges of 10, once with and once without reading ahead
    const chain = fakeChain(30);
    const ahead = setup(chain, true);
    const plain = setup(chain, false);

    // Act
    for (let i = 0; i < 3; i++) {
      await ahead.poll();
      await plain.poll();
    }

    // Assess: while 0..9 was publishing, 10..19 had been read; the output is the same
    expect(ahead.askedByPublish[0]).toContain(19);
    expect(plain.askedByPublish[0]).not.toContain(19);
    expect(ahead.published).toEqual(plain.published);
    expect(ahead.published.flatMap(headersOf)).toEqual(chain.map((b) => `${b.number}:${b.hash}`));
    expect(ahead.store.peek("l1").next).toBe(30);
    expect(ahead.log.lines.filter((l) => l.message.startsWith("read-ahead discarded"))).toEqual([]);
  });

  it("discards the read-ahead when it shows a reorg of the range being published, and handles the reorg as without it", async () => {
    // Prepare: the chain forks after block 6 just as range 0..9 has been read (the second head read is
    // the read-ahead's with reading ahead, the next poll's without: the same chain either way)
    const old = fakeChain(30);
    const fork = fakeChain(30, "fork", old.slice(0, 7));
    const ahead = setup(old, true);
    const plain = setup(old, false);
    for (const t of [ahead, plain]) {
      t.node.onHeadRead = (n) => {
        if (n === 2) t.node.chain = fork;
      };
    }

    // Act
    for (let i = 0; i < 4; i++) {
      await ahead.poll();
      await plain.poll();
    }

    // Assess: the read-ahead was dropped for the reorg; nothing published twice or lost
    const discarded = ahead.log.lines.filter((l) => l.message.startsWith("read-ahead discarded"));
    expect(discarded).toHaveLength(1);
    expect(discarded[0]?.extra[0]).toMatchObject({ next: 10, reason: "it shows a reorg" });
    expect(ahead.published).toEqual(plain.published);
    const reorg = ahead.published[1]?.[0];
    expect(reorg).toMatchObject({
      type: "reorg",
      commonAncestor: { number: 6, hash: old[6]?.hash },
      orphaned: old.slice(7, 10).map((b) => ({ number: b.number, hash: b.hash })),
    });
    const headers = ahead.published.flatMap(headersOf);
    expect(new Set(headers).size).toBe(headers.length);
    expect(headers).toEqual([
      ...old.slice(0, 10).map((b) => `${b.number}:${b.hash}`),
      ...fork.slice(7).map((b) => `${b.number}:${b.hash}`),
    ]);
    expect(ahead.store.peek("l1")).toMatchObject({ next: 30 });
    expect(ahead.store.peek("l1").recent.at(-1)).toEqual({ number: 29, hash: fork[29]?.hash });
  });

  it("discards the read-ahead when the cursor is not the one it was read for", async () => {
    // Prepare: 0..9 published, 10..19 read ahead; then another owner moves the cursor back to 5
    const chain = fakeChain(30);
    const t = setup(chain, true);
    await t.poll();
    const cursor = t.store.peek("l1");
    t.store.seed("l1", { ...cursor, next: 5, recent: cursor.recent.slice(0, 5) });

    // Act
    await t.poll();

    // Assess: read again from 5
    const discarded = t.log.lines.filter((l) => l.message.startsWith("read-ahead discarded"));
    expect(discarded[0]?.extra[0]).toMatchObject({
      reason: "the cursor is not the one the read was made for",
    });
    expect(headersOf(t.published[1] ?? [])[0]).toBe(`5:${chain[5]?.hash}`);
    expect(t.store.peek("l1").next).toBe(15);
  });
});
