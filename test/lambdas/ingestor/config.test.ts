import { describe, expect, it } from "vitest";
import { loadIngestorConfig, resolveRpcUrls } from "../../../lambdas/ingestor/config.js";
import { ConfigError } from "../../../lambdas/shared/errors.js";

const base = {
  QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/tidemark-events.fifo",
  STATE_TABLE: "tidemark-state",
  L1_RPC_URLS: "http://127.0.0.1:8545, http://127.0.0.1:8547",
  L2_RPC_URLS: "http://127.0.0.1:8546",
  INBOX_ADDRESS: "0x06a9Ab27c7e2255df1815E6CC0168d7755Feb19a",
};

function settingOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.setting;
    throw error;
  }
  return undefined;
}

describe("loadIngestorConfig", () => {
  it("applies the documented defaults and lowercases addresses", () => {
    // Act
    const config = loadIngestorConfig(base);

    // Assess
    expect(config).toMatchObject({
      partitions: 16,
      publishLanes: 4,
      maxBlocksPerRange: 500,
      pollIntervalMs: 1000,
      timeReserveMs: 5000,
      leaseSeconds: 60,
      recentHashes: 256,
      maxReorgDepth: 4096,
      confirmations: 0,
      chains: ["l1", "l2"],
      startBlock: { l1: 0, l2: 0 },
      inboxAddress: "0x06a9ab27c7e2255df1815e6cc0168d7755feb19a",
      inboxWrapperAddress: undefined,
      rpc: {
        kind: "urls",
        urls: { l1: ["http://127.0.0.1:8545", "http://127.0.0.1:8547"], l2: ["http://127.0.0.1:8546"] },
      },
    });
  });

  it("reads the network preset from TAIKO_NETWORK, with no single inbox beside it", () => {
    // Act
    const config = loadIngestorConfig({ ...base, INBOX_ADDRESS: undefined, TAIKO_NETWORK: "hoodi" });

    // Assess
    expect(config.network?.name).toBe("hoodi");
    expect(config.network?.forks.map((f) => f.fork)).toEqual(["pacaya", "shasta", "unzen"]);
    expect(config.inboxAddress).toBeUndefined();
  });

  it.each([
    ["QUEUE_URL", { QUEUE_URL: undefined }],
    ["QUEUE_URL", { QUEUE_URL: "tidemark-events.fifo" }],
    ["STATE_TABLE", { STATE_TABLE: " " }],
    ["PARTITIONS", { PARTITIONS: "sixteen" }],
    ["PARTITIONS", { PARTITIONS: "0" }],
    ["PUBLISH_LANES", { PUBLISH_LANES: "0" }],
    ["PUBLISH_LANES", { PUBLISH_LANES: "two" }],
    ["PUBLISH_LANES", { PUBLISH_LANES: "65" }],
    ["MAX_BLOCKS_PER_RANGE", { MAX_BLOCKS_PER_RANGE: "-5" }],
    ["MAX_BLOCKS_PER_RANGE", { MAX_BLOCKS_PER_RANGE: "10000" }],
    ["RECENT_HASHES", { RECENT_HASHES: "1" }],
    ["MAX_REORG_DEPTH", { MAX_REORG_DEPTH: "20000" }],
    ["MAX_REORG_DEPTH", { MAX_REORG_DEPTH: "-1" }],
    ["L1_START_BLOCK", { L1_START_BLOCK: "1.5" }],
    ["CHAINS", { CHAINS: "l1,l3" }],
    ["L1_RPC_URLS", { L1_RPC_URLS: "ws://127.0.0.1:8545" }],
    ["L2_RPC_URLS", { L2_RPC_URLS: "" }],
    ["TAIKO_NETWORK", { INBOX_ADDRESS: undefined }],
    ["TAIKO_NETWORK", { INBOX_ADDRESS: undefined, TAIKO_NETWORK: "mainet" }],
    ["INBOX_ADDRESS", { TAIKO_NETWORK: "hoodi" }],
    [
      "SHASTA_ACTIVATION_TIMESTAMP",
      {
        INBOX_ADDRESS: undefined,
        TAIKO_NETWORK: "custom",
        L1_CHAIN_ID: "1",
        L2_CHAIN_ID: "167000",
        L2_ANCHOR_ADDRESS: "0x1670000000000000000000000000000000010001",
        PACAYA_INBOX_ADDRESS: "0x06a9Ab27c7e2255df1815E6CC0168d7755Feb19a",
        SHASTA_INBOX_ADDRESS: "0x6f21C543a4aF5189eBdb0723827577e1EF57ef1f",
      },
    ],
    ["INBOX_WRAPPER_ADDRESS", { INBOX_WRAPPER_ADDRESS: "0x1234" }],
    ["RPC_URLS_SECRET_ID", { RPC_URLS_SECRET_ID: "tidemark/rpc" }],
  ])("names %s when it is missing or bad", (setting, override) => {
    // Act
    const named = settingOf(() => loadIngestorConfig({ ...base, ...override }));

    // Assess
    expect(named).toBe(setting);
  });

  it("needs neither L1 URLs nor the inbox when only l2 is ingested", () => {
    // Act
    const config = loadIngestorConfig({
      ...base,
      CHAINS: "l2",
      L1_RPC_URLS: undefined,
      INBOX_ADDRESS: undefined,
    });

    // Assess
    expect(config.chains).toEqual(["l2"]);
  });
});

describe("resolveRpcUrls", () => {
  const secretEnv = {
    ...base,
    L1_RPC_URLS: undefined,
    L2_RPC_URLS: undefined,
    RPC_URLS_SECRET_ID: "tidemark/rpc",
  };

  it("reads the URL lists from the secret", async () => {
    // Prepare
    const config = loadIngestorConfig(secretEnv);
    const asked: string[] = [];

    // Act
    const urls = await resolveRpcUrls(config, async (id) => {
      asked.push(id);
      return JSON.stringify({ l1: ["https://l1.example/key-abc"], l2: ["https://l2.example/key-def"] });
    });

    // Assess
    expect(asked).toEqual(["tidemark/rpc"]);
    expect(urls).toEqual({ l1: ["https://l1.example/key-abc"], l2: ["https://l2.example/key-def"] });
  });

  it.each([
    ["not JSON", "https://l1.example/key-abc"],
    ["a chain missing", JSON.stringify({ l1: ["https://l1.example/key-abc"] })],
    ["a bad URL", JSON.stringify({ l1: ["l1.example/key-abc"], l2: ["https://l2.example/key-def"] })],
  ])("rejects a secret with %s, naming the variable but not the secret's content", async (_, value) => {
    // Prepare
    const config = loadIngestorConfig(secretEnv);

    // Act
    const error = await resolveRpcUrls(config, async () => value).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe("RPC_URLS_SECRET_ID");
    expect((error as ConfigError).message).not.toContain("key-abc");
  });
});
