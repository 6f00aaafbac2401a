import { custom, type Hex, hexToNumber } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { createTransportChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { createIngestor } from "../../../lambdas/ingestor/ingestor.js";
import type { Chain } from "../../../lambdas/shared/events.js";
import { IngestorMetric } from "../../../lambdas/shared/metricNames.js";
import {
  capturingSqs,
  collectingLogger,
  collectingMetrics,
  createMemoryCursorStore,
  type FakeBlock,
  fakeChain,
  rpcBlock,
  testConfig,
} from "./helpers.js";

function fakeNode(chain: FakeBlock[], options: { down?: boolean; asked?: number[] } = {}) {
  return createTransportChainClient(
    custom(
      {
        async request({ method, params }) {
          if (options.down) throw new Error("connect ECONNREFUSED");
          const [tag] = params as [Hex | "latest"];
          if (method === "eth_getBlockByNumber") {
            if (tag !== "latest") options.asked?.push(hexToNumber(tag as Hex));
            const block = tag === "latest" ? chain.at(-1) : chain[hexToNumber(tag as Hex)];
            return block ? rpcBlock(block) : null;
          }
          if (method === "eth_getLogs") return [];
          throw new Error(`unexpected ${method}`);
        },
      },
      { retryCount: 0 },
    ),
  );
}

function setup(
  options: { l1?: FakeBlock[]; l2?: FakeBlock[]; l1Down?: boolean; env?: Record<string, string> } = {},
) {
  const l1 = options.l1 ?? fakeChain(3, "l1");
  const l2 = options.l2 ?? fakeChain(5, "l2");
  const clock = { now: 1_700_000_000_000 };
  const sleeps: number[] = [];
  const onSleep: (() => void)[] = [];
  const sqs = capturingSqs();
  const store = createMemoryCursorStore();
  const metrics = collectingMetrics();
  const log = collectingLogger();
  const asked: number[] = [];
  const ingestor = createIngestor({
    clients: { l1: fakeNode(l1, { down: options.l1Down, asked }), l2: fakeNode(l2) },
    cursorStore: store,
    sqs: sqs.sqs,
    config: testConfig({ POLL_INTERVAL_MS: "1000", ...options.env }),
    metrics: metrics.sink,
    logger: log.logger,
    owner: "me",
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      onSleep.shift()?.();
    },
  });
  return { ingestor, sqs, store, metrics, clock, sleeps, onSleep, l1, l2, log, asked };
}

const headersOf = (t: ReturnType<typeof setup>, chain: Chain) =>
  t.sqs.events().flatMap((e) => (e.type === `${chain}_header` && "number" in e ? [e.number] : []));

describe("createIngestor", () => {
  let t: ReturnType<typeof setup> | undefined;
  afterEach(() => t?.sqs.mock.reset());

  it("runOnce ingests every configured chain and gives the leases back", async () => {
    // Prepare
    t = setup();

    // Act
    const report = await t.ingestor.runOnce();

    // Assess
    expect(report.chains).toMatchObject([
      { chain: "l1", status: "ok", blocksIngested: 3, next: 3 },
      { chain: "l2", status: "ok", blocksIngested: 5, next: 5 },
    ]);
    expect(headersOf(t, "l1")).toEqual([0, 1, 2]);
    expect(headersOf(t, "l2")).toEqual([0, 1, 2, 3, 4]);
    expect(t.store.peek("l1").lease).toBeUndefined();
    expect(t.store.peek("l2").lease).toBeUndefined();
  });

  it("reads the next range during a run and uses it in the next run, as a backfill runs one range per run", async () => {
    // Prepare: L1 only, 30 blocks in ranges of 10
    t = setup({ l1: fakeChain(30, "l1"), env: { CHAINS: "l1", MAX_BLOCKS_PER_RANGE: "10" } });

    // Act
    await t.ingestor.runOnce();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    const askedAfterFirstRun = [...t.asked];
    await t.ingestor.runOnce();
    await t.ingestor.runOnce();

    // Assess: 10..19 was read during the first run, and not read again by the second (19 is read once
    // more, where the third range checks it still holds its block)
    expect(askedAfterFirstRun).toContain(19);
    expect(t.asked.filter((n) => n >= 10 && n <= 18).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 9 }, (_, i) => 10 + i),
    );
    expect(headersOf(t, "l1")).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(t.log.lines.filter((l) => l.message.startsWith("read-ahead discarded"))).toEqual([]);
  });

  it("skips a chain whose lease another ingestor holds, and still ingests the other", async () => {
    // Prepare
    t = setup();
    await t.store.acquireLease("l1", "other", t.clock.now);

    // Act
    const report = await t.ingestor.runOnce();

    // Assess
    expect(report.chains.map((c) => c.status)).toEqual(["lease-held", "ok"]);
    expect(headersOf(t, "l1")).toEqual([]);
    expect(headersOf(t, "l2")).toHaveLength(5);
    expect(t.metrics.total(IngestorMetric.LeaseContention, "l1")).toBe(1);
    expect(t.store.peek("l1").lease?.owner).toBe("other");
  });

  it("waits for a held lease and takes the chain over once the other run releases it", async () => {
    // Prepare: another ingestor holds L1 and releases it during our second wait (a blue-green overlap)
    t = setup();
    await t.store.acquireLease("l1", "other", t.clock.now);
    t.onSleep.push(
      () => {},
      () => void t?.store.release("l1", "other"),
    );
    const deadline = t.clock.now + 5_500;

    // Act
    const report = await t.ingestor.pollUntil(deadline);

    // Assess: L1 was ingested by us after the takeover; contention was counted once, not per poll
    expect(report.chains.find((c) => c.chain === "l1")).toMatchObject({
      status: "ok",
      blocksIngested: 3,
      next: 3,
    });
    expect(headersOf(t, "l1")).toEqual([0, 1, 2]);
    expect(t.metrics.total(IngestorMetric.LeaseContention, "l1")).toBe(1);
  });

  it("pollUntil keeps polling until the deadline, picking up blocks mined meanwhile", async () => {
    // Prepare: a new L2 block appears during the first and the third wait
    t = setup();
    const grow = () => t?.l2.push(...fakeChain(t.l2.length + 1, "l2", t.l2).slice(t.l2.length));
    t.onSleep.push(grow, () => {}, grow);
    const deadline = t.clock.now + 5_500;

    // Act
    const report = await t.ingestor.pollUntil(deadline);

    // Assess
    expect(headersOf(t, "l2")).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(report.chains.find((c) => c.chain === "l2")).toMatchObject({
      status: "ok",
      blocksIngested: 7,
      next: 7,
    });
    expect(t.clock.now).toBeGreaterThanOrEqual(deadline);
    expect(t.sleeps.every((ms) => ms <= 1000)).toBe(true);
  });

  it("reports a chain whose node is down as failed (retryable) without stopping the other", async () => {
    // Prepare
    t = setup({ l1Down: true });

    // Act
    const report = await t.ingestor.runOnce();

    // Assess
    expect(report.chains[0]).toMatchObject({
      chain: "l1",
      status: "failed",
      error: { name: "RpcError", retryable: true },
    });
    expect(report.chains[1]).toMatchObject({ chain: "l2", status: "ok", blocksIngested: 5 });
    expect(t.metrics.total(IngestorMetric.RpcErrors, "l1")).toBe(1);
  });

  it("retries taking the lease after the state table failed, within the same run", async () => {
    // Prepare
    t = setup();
    const acquire = t.store.acquireLease;
    let failures = 1;
    t.store.acquireLease = async (chain, owner, nowMs) => {
      if (chain === "l2" && failures-- > 0)
        throw Object.assign(new Error("service unavailable"), { name: "InternalServerError" });
      return acquire(chain, owner, nowMs);
    };

    // Act
    const report = await t.ingestor.pollUntil(t.clock.now + 2_500);

    // Assess
    expect(report.chains[1]).toMatchObject({ chain: "l2", status: "ok", blocksIngested: 5, next: 5 });
    expect(headersOf(t, "l2")).toEqual([0, 1, 2, 3, 4]);
  });
});
