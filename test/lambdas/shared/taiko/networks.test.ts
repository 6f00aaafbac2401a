import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../../lambdas/shared/errors.js";
import {
  decoderAt,
  decoderForAddress,
  devnetNetwork,
  forkAt,
  hoodi,
  loadTaikoNetwork,
  logSources,
  mainnet,
  NETWORK_SETTINGS,
  parseCustomNetwork,
} from "../../../../lambdas/shared/taiko/networks.js";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("forkAt at the activation boundary", () => {
  const boundaries = (
    [
      [mainnet, 1_775_135_699, "pacaya"], // 2026-04-02 13:14:59 UTC
      [mainnet, 1_775_135_700, "shasta"], // 13:15:00
      [mainnet, 1_786_021_199, "shasta"],
      [mainnet, 1_786_021_200, "unzen"], // 2026-08-06 13:00:00 UTC
      [hoodi, 1_770_296_399, "pacaya"],
      [hoodi, 1_770_296_400, "shasta"], // 2026-02-05 13:00:00 UTC
      [hoodi, 1_781_787_600, "unzen"],
      [mainnet, 0, "pacaya"],
    ] as const
  ).map(([network, timestamp, fork]) => ({ network, name: network.name, timestamp, fork }));

  it.each(boundaries)("$name at $timestamp is $fork", ({ network, timestamp, fork }) => {
    // Act
    const spec = forkAt(network, { timestamp });

    // Assess
    expect(spec.fork).toBe(fork);
    expect(decoderAt(network, { timestamp })).toBe(fork === "pacaya" ? "pacaya" : "shasta");
  });

  it("resolves the devnet by L1 block, since it knows its activation block", () => {
    // Prepare
    const devnet = devnetNetwork({
      l1ChainId: 31337,
      l2ChainId: 167_001,
      l2Anchor: A(0x10001),
      pacaya: { inbox: A(1), inboxWrapper: A(2) },
      shasta: { inbox: A(3), activation: { timestamp: 1_900_000_000, l1Block: 120 } },
    });

    // Act / Assess
    expect(forkAt(devnet, { l1Block: 119 }).fork).toBe("pacaya");
    expect(forkAt(devnet, { l1Block: 120 }).fork).toBe("shasta");
    expect(forkAt(devnet, { timestamp: 1_899_999_999 }).fork).toBe("pacaya");
    expect(forkAt(devnet, { timestamp: 1_900_000_000 }).contracts.inbox).toBe(A(3));
  });

  it("a devnet that has not crossed the fork stays on Pacaya", () => {
    // Prepare
    const devnet = devnetNetwork({
      l1ChainId: 31337,
      l2ChainId: 167_001,
      l2Anchor: A(0x10001),
      pacaya: { inbox: A(1), inboxWrapper: A(2) },
    });

    // Act / Assess
    expect(forkAt(devnet, { l1Block: 1_000_000 }).fork).toBe("pacaya");
  });

  it("refuses to place a public network's boundary by block number", () => {
    // Act
    const error = configError(() => forkAt(mainnet, { l1Block: 24_000_000 }));

    // Assess
    expect(error.message).toContain("resolve the fork by block timestamp");
  });
});

describe("log sources", () => {
  it("watch both forks' contracts, each with its own decoder, Unzen's inbox once", () => {
    // Act
    const sources = logSources(mainnet);

    // Assess
    expect(sources).toEqual([
      { address: "0x06a9ab27c7e2255df1815e6cc0168d7755feb19a", decoder: "pacaya", fork: "pacaya" },
      { address: "0x9f9d2fc7abe74c79f86f0d1212107692430eef72", decoder: "pacaya", fork: "pacaya" },
      { address: "0x05d88855361808fa1d7fc28084ef3fca191c4e03", decoder: "pacaya", fork: "pacaya" },
      { address: "0x6f21c543a4af5189ebdb0723827577e1ef57ef1f", decoder: "shasta", fork: "shasta" },
    ]);
    expect(decoderForAddress(mainnet, "0x6f21C543a4aF5189eBdb0723827577e1EF57ef1f")).toBe("shasta");
    expect(decoderForAddress(hoodi, "0xeF4bB7A442Bd68150A3aa61A6a097B86b91700BF")).toBe("shasta");
    expect(decoderForAddress(mainnet, A(9))).toBeUndefined();
  });
});

describe("custom network settings", () => {
  const valid = {
    [NETWORK_SETTINGS.network]: "custom",
    [NETWORK_SETTINGS.l1ChainId]: "560048",
    [NETWORK_SETTINGS.l2ChainId]: "167013",
    [NETWORK_SETTINGS.l2Anchor]: "0x1670130000000000000000000000000000010001",
    [NETWORK_SETTINGS.pacayaInbox]: "0xf6eA848c7d7aC83de84db45Ae28EAbf377fe0eF9",
    [NETWORK_SETTINGS.shastaInbox]: "0xeF4bB7A442Bd68150A3aa61A6a097B86b91700BF",
    [NETWORK_SETTINGS.shastaActivationTimestamp]: "1770296400",
  };

  it("builds a two-fork network that resolves like the preset it copies", () => {
    // Act
    const network = loadTaikoNetwork(valid);

    // Assess
    expect(network.name).toBe("custom");
    expect(network.l2ChainId).toBe(167_013);
    expect(forkAt(network, { timestamp: 1_770_296_399 }).contracts.inbox).toBe(
      hoodi.forks[0]?.contracts.inbox,
    );
    expect(forkAt(network, { timestamp: 1_770_296_400 }).contracts.inbox).toBe(
      hoodi.forks[1]?.contracts.inbox,
    );
  });

  it("picks the presets by name and defaults to mainnet", () => {
    // Act / Assess
    expect(loadTaikoNetwork({ TAIKO_NETWORK: "hoodi" })).toBe(hoodi);
    expect(loadTaikoNetwork({})).toBe(mainnet);
  });

  it.each([
    [{ TAIKO_NETWORK: "sepolia" }, "TAIKO_NETWORK", "not a network"],
    [{ ...valid, L1_CHAIN_ID: undefined }, "L1_CHAIN_ID", "is required"],
    [{ ...valid, L2_CHAIN_ID: "-5" }, "L2_CHAIN_ID", "non-negative integer"],
    [{ ...valid, L2_ANCHOR_ADDRESS: "0x1234" }, "L2_ANCHOR_ADDRESS", "20-byte"],
    [{ ...valid, SHASTA_INBOX_ADDRESS: "not-an-address" }, "SHASTA_INBOX_ADDRESS", "20-byte"],
    [{ ...valid, SHASTA_ACTIVATION_TIMESTAMP: undefined }, "SHASTA_ACTIVATION_TIMESTAMP", "is required"],
    [
      { ...valid, SHASTA_ACTIVATION_TIMESTAMP: "soon" },
      "SHASTA_ACTIVATION_TIMESTAMP",
      "non-negative integer",
    ],
    [{ ...valid, UNZEN_ACTIVATION_TIMESTAMP: "1770296399" }, "UNZEN_ACTIVATION_TIMESTAMP", "is before"],
    [{ ...valid, L1_CHAIN_ID: "99999999999999999999" }, "L1_CHAIN_ID", "too large"],
    [
      { ...valid, PACAYA_INBOX_ADDRESS: undefined, PACAYA_INBOX_WRAPPER_ADDRESS: A(2) },
      "PACAYA_INBOX_WRAPPER_ADDRESS",
      "needs",
    ],
    [
      {
        ...valid,
        PACAYA_INBOX_ADDRESS: undefined,
        SHASTA_INBOX_ADDRESS: undefined,
        SHASTA_ACTIVATION_TIMESTAMP: undefined,
      },
      "PACAYA_INBOX_ADDRESS",
      "needs",
    ],
  ])("%o fails naming %s", (settings, setting, problem) => {
    // Act
    const error = configError(() => loadTaikoNetwork(settings));

    // Assess
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}:`)).toBe(true);
    expect(error.message).toContain(problem);
    expect(error.retryable).toBe(false);
  });

  it("a Shasta-only network starts on Shasta", () => {
    // Prepare
    const settings = { ...valid, PACAYA_INBOX_ADDRESS: undefined, SHASTA_ACTIVATION_TIMESTAMP: undefined };

    // Act
    const network = parseCustomNetwork(settings);

    // Assess
    expect(network.forks.map((f) => f.fork)).toEqual(["shasta"]);
    expect(forkAt(network, { timestamp: 0 }).decoder).toBe("shasta");
  });
});
