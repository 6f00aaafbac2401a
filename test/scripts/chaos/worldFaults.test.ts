import { Readable } from "node:stream";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { createPublicClient, decodeEventLog, encodeEventTopics, type Hex, http } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { addAwsFaults, createAwsFaultControl } from "../../../scripts/chaos/awsFaults.js";
import { badLogCall, badLogData } from "../../../scripts/chaos/badInboxLogs.js";
import { type ProviderFaultProxy, startProviderFaultProxy } from "../../../scripts/chaos/providerFaults.js";
import { createChainMiner } from "../../../scripts/devnet/createChainMiner.js";
import { createDevnet } from "../../../scripts/devnet/createDevnet.js";
import type { DevnetKnobs } from "../../../scripts/devnet/devnetKnobs.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";

const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

async function anvil(chainId = 31337): Promise<AnvilNode> {
  const node = await startAnvil({ chainId });
  stops.push(() => node.stop());
  return node;
}

async function proxyOver(upstream: string): Promise<ProviderFaultProxy> {
  const proxy = await startProviderFaultProxy({ upstream });
  stops.push(() => proxy.stop());
  return proxy;
}

/** A node with `blocks` mined blocks, each with a log-free empty body. */
async function chainOf(blocks: number): Promise<AnvilNode> {
  const node = await anvil();
  const miner = createChainMiner({ name: "test", url: node.url });
  await miner.takeControl();
  const head = await miner.head();
  for (let i = 1; i <= blocks; i++) await miner.mine({ timestamp: head.timestamp + i * 12 });
  return node;
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result?: unknown; error?: unknown }).result;
}

describe("provider faults", () => {
  it("a lagging provider answers as of N blocks ago: lower head, null above it, no logs from above it", async () => {
    // Prepare
    const node = await chainOf(20);
    const proxy = await proxyOver(node.url);
    proxy.control.mode = { kind: "lagging", lagBlocks: 5 };
    // Act
    const head = Number(await rpc(proxy.url, "eth_blockNumber"));
    const latest = (await rpc(proxy.url, "eth_getBlockByNumber", ["latest", false])) as { number: Hex };
    const above = await rpc(proxy.url, "eth_getBlockByNumber", ["0x10", false]);
    const below = (await rpc(proxy.url, "eth_getBlockByNumber", ["0xf", false])) as { number: Hex } | null;
    const logsAbove = await rpc(proxy.url, "eth_getLogs", [{ fromBlock: "0x10", toBlock: "0x14" }]);
    // Assess
    expect(head).toBe(15);
    expect(Number(latest.number)).toBe(15);
    expect(above).toBeNull();
    expect(Number(below?.number)).toBe(15);
    expect(logsAbove).toEqual([]);
    expect(proxy.altered.lagging).toBeGreaterThanOrEqual(4);
  });

  it("a load-balanced URL alternates between the lagging and the healthy backend per request", async () => {
    // Prepare
    const node = await chainOf(10);
    const proxy = await proxyOver(node.url);
    proxy.control.mode = { kind: "loadBalanced", lagBlocks: 3 };
    // Act
    const heads: number[] = [];
    for (let i = 0; i < 4; i++) heads.push(Number(await rpc(proxy.url, "eth_blockNumber")));
    // Assess
    expect(heads).toEqual([7, 10, 7, 10]);
    expect(proxy.servedLagging.loadBalanced).toBe(2);
  });

  it("a healthy provider forwards the node's answers unchanged", async () => {
    // Prepare
    const node = await chainOf(6);
    const proxy = await proxyOver(node.url);
    // Act
    const viaProxy = await createPublicClient({ transport: http(proxy.url) }).getBlock({ blockNumber: 6n });
    const direct = await createPublicClient({ transport: http(node.url) }).getBlock({ blockNumber: 6n });
    // Assess
    expect(viaProxy.hash).toBe(direct.hash);
    expect(proxy.altered).toEqual({});
  });
});

async function deployedDevnet(seed: number, knobs: Partial<DevnetKnobs>) {
  const [l1, l2] = await Promise.all([anvil(31337), anvil(167_000)]);
  const devnet = createDevnet({
    l1Url: l1.url,
    l2Url: l2.url,
    seed,
    knobs: { pacingMsPerL2Block: 0, ...knobs },
  });
  stops.push(() => devnet.stop());
  await devnet.deploy();
  return { l1, l2, devnet };
}

describe("devnet A→B→A flips and deep reorgs", () => {
  it("a flip goes to B and back to A's very blocks, on both chains", async () => {
    // Prepare
    const { l1, l2, devnet } = await deployedDevnet(5, {
      l1FlipProbability: 0.4,
      l2FlipProbability: 0.2,
      l1ReorgProbability: 0,
    });
    // Act
    await devnet.run({ l2Blocks: 120 });
    await devnet.settle();
    // Assess: every flip back names A's blocks, and A's blocks are the canonical ones again (or later orphaned).
    const backs = devnet.reorgs.filter((r) => r.kind === "flipBackToA");
    expect(new Set(backs.map((r) => r.chain))).toEqual(new Set(["l1", "l2"]));
    for (const chain of ["l1", "l2"] as const) {
      const client = createPublicClient({ transport: http(chain === "l1" ? l1.url : l2.url) });
      const toB = devnet.reorgs.filter((r) => r.chain === chain && r.kind === "flipToB");
      for (const back of backs.filter((r) => r.chain === chain)) {
        const before = toB.find((r) => r.orphaned.some((o) => o.hash === back.restored[0]?.hash));
        expect(before?.orphaned.map((o) => o.hash)).toEqual(back.restored.map((o) => o.hash));
        const laterOrphaned = new Set(
          devnet.reorgs.slice(devnet.reorgs.indexOf(back) + 1).flatMap((r) => r.orphaned.map((o) => o.hash)),
        );
        for (const a of back.restored) {
          if (laterOrphaned.has(a.hash)) continue;
          const onChain = await client.getBlock({ blockNumber: BigInt(a.number) });
          expect(onChain.hash).toBe(a.hash);
        }
      }
    }
  }, 120_000);

  it("a deep L2 reorg replaces more blocks than the ingestor's 256-hash window", async () => {
    // Prepare
    const { devnet } = await deployedDevnet(6, {
      l2ReorgProbability: 0,
      // Pacaya only: the activation tick would propose the held blocks (the chaos schedule places it later).
      shastaActivationDelaySec: 0,
      l2DeepReorg: { atL2Block: 280, depth: 260 },
    });
    // Act
    await devnet.run({ l2Blocks: 290 });
    await devnet.settle();
    // Assess
    const deep = devnet.reorgs.filter((r) => r.kind === "deep");
    expect(deep).toHaveLength(1);
    expect(deep[0]?.depth).toBe(260);
    expect(devnet.stats.batchesVerified).toBe(devnet.stats.batchesProposed);
  }, 120_000);
});

/** A DynamoDB client whose "service" applies every request it receives (counted) and answers `{}`. */
function fakeDynamoDb(applied: unknown[]): DynamoDBClient {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 2,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        applied.push(request.body);
        return {
          response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from("{}")]) },
        };
      },
    } as never,
  });
}

describe("AWS answers lost after the write was applied", () => {
  it("applies a conditional write, then loses its answer: the SDK's retry meets its own write", async () => {
    // Prepare
    const applied: unknown[] = [];
    const ddb = fakeDynamoDb(applied);
    const control = createAwsFaultControl();
    control.lostAnswer.dynamodb = 1;
    addAwsFaults(ddb, "dynamodb", control, () => 0);
    // Act
    const put = ddb.send(
      new PutItemCommand({
        TableName: "t",
        Item: { pk: { S: "claim" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    // Assess: applied on every attempt, answered on none.
    await expect(put).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(applied).toHaveLength(2);
    expect(control.injected["dynamodb:lostAnswer"]).toBe(2);
    ddb.destroy();
  });

  it("loses only the answers of the service its window names", async () => {
    // Prepare: an SQS window (the ingestor's publishes) is open, DynamoDB's is not
    const applied: unknown[] = [];
    const ddb = fakeDynamoDb(applied);
    const control = createAwsFaultControl();
    control.lostAnswer.sqs = 1;
    addAwsFaults(ddb, "dynamodb", control, () => 0);
    // Act
    await ddb.send(
      new PutItemCommand({
        TableName: "t",
        Item: { pk: { S: "y" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    // Assess
    expect(applied).toHaveLength(1);
    expect(control.injected).toEqual({});
    ddb.destroy();
  });

  it("leaves unconditional writes alone", async () => {
    // Prepare
    const applied: unknown[] = [];
    const ddb = fakeDynamoDb(applied);
    const control = createAwsFaultControl();
    control.lostAnswer.dynamodb = 1;
    addAwsFaults(ddb, "dynamodb", control, () => 0);
    // Act
    await ddb.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "x" } } }));
    // Assess
    expect(applied).toHaveLength(1);
    expect(control.injected).toEqual({});
    ddb.destroy();
  });
});

describe("bad and absurd inbox logs", () => {
  const topics = [encodeEventTopics({ abi: inboxAbi, eventName: "BatchProposed" })[0] as Hex] as [Hex];
  const decode = (data: Hex) => decodeEventLog({ abi: inboxAbi, topics, data, strict: true });

  it("garbage and a claim of 10⁹ blocks do not decode; an out-of-range timestamp decodes as 2^64 − 1", () => {
    // Act / Assess
    expect(() => decode(badLogData("undecodable", 1))).toThrow();
    expect(() => decode(badLogData("tenToTheNineBlocks", 2))).toThrow();
    const decoded = decode(badLogData("outOfRangeTimestamp", 3)) as unknown as {
      args: { info: { lastBlockTimestamp: bigint }; meta: { batchId: bigint } };
    };
    expect(decoded.args.info.lastBlockTimestamp).toBe(2n ** 64n - 1n);
    expect(decoded.args.meta.batchId).toBe(1_000_000_003n);
  });

  it("the devnet emits them from the inbox wrapper under the BatchProposed topic", async () => {
    // Prepare
    const { l1, devnet } = await deployedDevnet(7, {});
    // Act
    const tx = await devnet.queueL1Call(badLogCall(devnet.wrapperAddress, "tenToTheNineBlocks", 4));
    await devnet.run({ l2Blocks: 8 });
    // Assess
    const receipt = await createPublicClient({ transport: http(l1.url) }).getTransactionReceipt({ hash: tx });
    expect(receipt.logs).toHaveLength(1);
    expect(receipt.logs[0]?.address.toLowerCase()).toBe(devnet.wrapperAddress.toLowerCase());
    expect(receipt.logs[0]?.topics[0]).toBe(topics[0]);
    expect(receipt.logs[0]?.data).toBe(badLogData("tenToTheNineBlocks", 4));
  }, 120_000);
});
