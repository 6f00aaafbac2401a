import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { GetQueueAttributesCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { custom, type Hex, hexToNumber } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { createTransportChainClient } from "../../../lambdas/ingestor/chainReader.js";
import {
  createIngestorHandler,
  type IngestorRuntime,
  type SmokeReport,
} from "../../../lambdas/ingestor/handler.js";
import type { IngestorReport } from "../../../lambdas/ingestor/ingestor.js";
import { ConfigError } from "../../../lambdas/shared/errors.js";
import { capturingSqs, createMemoryCursorStore, fakeChain, rpcBlock, testConfig } from "./helpers.js";

const chain = fakeChain(4);
const node = createTransportChainClient(
  custom({
    async request({ method, params }) {
      const [tag] = params as [Hex | "latest"];
      if (method === "eth_getBlockByNumber") {
        const block = tag === "latest" ? chain.at(-1) : chain[hexToNumber(tag as Hex)];
        return block ? rpcBlock(block) : null;
      }
      if (method === "eth_getLogs") return [];
      throw new Error(`unexpected ${method}`);
    },
  }),
);

function context(remainingMs: number, clock: { now: number }): Context {
  const end = clock.now + remainingMs;
  return {
    functionName: "tidemark-ingestor",
    awsRequestId: "req-1",
    getRemainingTimeInMillis: () => end - clock.now,
  } as unknown as Context;
}

function setup(runtimeOverride?: () => Promise<IngestorRuntime>) {
  const sqs = capturingSqs();
  sqs.mock.on(GetQueueAttributesCommand).resolves({ Attributes: { FifoQueue: "true" } });
  const store = createMemoryCursorStore();
  const clock = { now: 1_700_000_000_000 };
  const runtime: IngestorRuntime = {
    config: testConfig({ CHAINS: "l1", TIME_RESERVE_MS: "5000" }),
    clients: { l1: node },
    sqs: sqs.sqs,
    cursorStore: store,
    owner: "me",
  };
  const handler = createIngestorHandler({
    logger: new Logger({ serviceName: "ingestor", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "Tidemark", serviceName: "ingestor" }),
    runtime: runtimeOverride ?? runtime,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
  });
  return { handler, sqs, store, clock };
}

describe("ingestor handler", () => {
  let t: ReturnType<typeof setup> | undefined;
  afterEach(() => t?.sqs.mock.reset());

  it("answers a smoke event with a dry run that reaches every dependency and publishes nothing", async () => {
    // Prepare
    t = setup();

    // Act
    const report = (await t.handler({ smoke: true }, context(60_000, t.clock))) as SmokeReport;

    // Assess
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ["config", true],
      ["rpc:l1", true],
      ["dry-run:l1", true],
      ["table:cursor#l1", true],
      ["queue", true],
    ]);
    expect(report.checks[1]?.detail).toBe("head 3");
    // Nothing ingested yet: the last blocks below the head, read and decoded as the next poll would.
    expect(report.checks[2]?.detail).toBe(
      "read 0..3: 4 blocks, 0 inbox events, 4 events decoded, nothing published",
    );
    expect(t.sqs.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(t.store.peek("l1")).toEqual({ next: undefined, recent: [], lease: undefined });
  });

  it("dry-runs the poll from the live cursor without moving it", async () => {
    // Prepare
    t = setup();
    t.store.seed("l1", { next: 2, recent: [{ number: 1, hash: chain[1]?.hash as Hex }], lease: undefined });
    const before = t.store.peek("l1");

    // Act
    const report = (await t.handler({ smoke: true }, context(60_000, t.clock))) as SmokeReport;

    // Assess
    expect(report.checks.find((c) => c.name === "dry-run:l1")).toEqual({
      name: "dry-run:l1",
      ok: true,
      detail: "read 2..3: 2 blocks, 0 inbox events, 2 events decoded, nothing published",
    });
    expect(t.store.peek("l1")).toEqual(before);
    expect(t.sqs.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("fails the smoke test, naming the variable, when the configuration is bad", async () => {
    // Prepare
    t = setup(async () => {
      throw new ConfigError("QUEUE_URL", "is required");
    });

    // Act
    const report = (await t.handler({ smoke: true }, context(60_000, t.clock))) as SmokeReport;

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({ name: "config", ok: false });
    expect(report.checks[0]?.detail).toContain("QUEUE_URL");
  });

  it("polls on a scheduled event until the time reserve is reached", async () => {
    // Prepare
    t = setup();
    const ctx = context(30_000, t.clock);

    // Act
    const report = (await t.handler({ source: "aws.scheduler" }, ctx)) as IngestorReport;

    // Assess
    expect(report.chains).toMatchObject([{ chain: "l1", status: "ok", blocksIngested: 4, next: 4 }]);
    expect(t.sqs.accepted).toHaveLength(4);
    expect(ctx.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000);
    expect(ctx.getRemainingTimeInMillis()).toBeGreaterThanOrEqual(4000);
  });
});

/** One container whose first poll parks in its first wait until `release()`; `parked()` says it has. */
function parkingHandler() {
  const sqs = capturingSqs();
  const clock = { now: 1_700_000_000_000 };
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let isParked = false;
  const handler = createIngestorHandler({
    logger: new Logger({ serviceName: "ingestor", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "Tidemark", serviceName: "ingestor" }),
    runtime: {
      config: testConfig({ CHAINS: "l1", TIME_RESERVE_MS: "0", LEASE_SECONDS: "60" }),
      clients: { l1: node },
      sqs: sqs.sqs,
      cursorStore: createMemoryCursorStore(),
      owner: "container-1",
    },
    now: () => clock.now,
    sleep: async (ms) => {
      if (!isParked) {
        isParked = true;
        await gate;
      }
      clock.now += ms;
    },
  });
  return { sqs, clock, handler, release: () => release(), parked: () => isParked };
}

describe("ingestor handler lease ownership", () => {
  it("gives each invocation its own lease owner, so two runs in one container cannot both hold a chain", async () => {
    // Prepare: one container (one runtime, one owner id); its first run parks in a poll wait
    const { sqs, clock, handler, release, parked } = parkingHandler();
    const invocation = (id: string, remainingMs: number) =>
      ({ ...context(remainingMs, clock), awsRequestId: id }) as Context;
    const first = handler({}, invocation("req-1", 30_000)) as Promise<IngestorReport>;
    while (!parked()) await new Promise((r) => setImmediate(r));

    // Act: a second, overlapping invocation of the same container
    const second = (await handler({}, invocation("req-2", 3_000))) as IngestorReport;
    release();
    const firstReport = await first;

    // Assess: the first run holds L1; the second waited on its lease instead of sharing it
    expect(firstReport.chains[0]).toMatchObject({ chain: "l1", status: "ok", blocksIngested: 4 });
    expect(second.chains[0]).toMatchObject({ chain: "l1", status: "lease-held", blocksIngested: 0 });
    sqs.mock.reset();
  });
});

describe("ingestor handler past its deadline", () => {
  it("answers only once its poll has ended, so nothing it does outlives the invocation", async () => {
    // Prepare: a 50 ms invocation whose poll is parked until released, later than the deadline
    const { sqs, handler, release, parked } = parkingHandler();
    const deadline = Date.now() + 50;
    const ctx = {
      functionName: "tidemark-ingestor",
      awsRequestId: "req-late",
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    } as unknown as Context;
    let answered = false;
    const invocation = Promise.resolve(handler({}, ctx)).then(
      (report) => {
        answered = true;
        return report as IngestorReport;
      },
      (error: unknown) => {
        answered = true;
        throw error;
      },
    );
    while (!parked()) await new Promise((r) => setImmediate(r));

    // Act: the deadline passes with the poll still running, then the poll is released
    await new Promise((r) => setTimeout(r, 150));
    const answeredBeforeRelease = answered;
    release();
    const report = await invocation;

    // Assess: no early "timeout" answer while the work went on; the answer is the finished poll's
    expect(answeredBeforeRelease).toBe(false);
    expect(report.chains[0]).toMatchObject({ chain: "l1", status: "ok", blocksIngested: 4 });
    sqs.mock.reset();
  });
});
