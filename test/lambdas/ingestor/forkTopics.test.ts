import { encodeAbiParameters, encodeEventTopics, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { ChainLog } from "../../../lambdas/ingestor/chainReader.js";
import { decodeForkLogs, forkEventTopics, watchedAddresses } from "../../../lambdas/ingestor/logSources.js";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { mainnet } from "../../../lambdas/shared/taiko/networks.js";
import { shastaLog } from "../../lambdas/shared/taiko/helpers.js";

/**
 * topic0 of each Shasta event as literal constants, not computed by the code under test.
 *
 * `Proposed` is copied from taikoxyz/taiko-mono itself: packages/protocol/test/layer1/core/inbox/
 * ProverMarket.t.sol @ 03b389ffe3dac5cc2c363e66fca005a71279ab67 (`bytes32 proposedTopic = 0x7c4c…1213;
 * // Proposed event topic — pre-computed from the event signature`). The protocol source writes no
 * literal for the others: each is keccak256 of its declaration in packages/protocol/contracts/layer1/core
 * (iface/IInbox.sol, impl/Inbox.sol, iface/IForcedInclusionStore.sol, iface/IBondManager.sol) @
 * b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b, written here once by hand; test/lambdas/shared/taiko/
 * shastaAbi.test.ts re-derives the same hashes from the source text. The Dec 2025 – Jan 2026 `Proved`
 * with `bool checkpointSynced` is IInbox.sol @ 5eddb99144093e3da72c56e372c1009a2ac9c7c8.
 */
const PROTOCOL_TOPIC0 = {
  Proposed: "0x7c4c4523e17533e451df15762a093e0693a2cd8b279fe54c6cd3777ed5771213",
  Proved: "0xa274dcaff3629ec7d69d144038e97732516ff306fcbf8a2bc9423d106779a2f0",
  StateRecovered: "0x4c3db930215a6ed0bab3aa335e88316267503d6581fd0b9c52fc72bcfc3a8e00",
  ForcedInclusionsVoided: "0x72630dabbcbfd74e45770c40d6d75438aa2924da9dffcbc234ad2b0083cf8ecc",
  InboxActivated: "0xe4356761c97932c05c3ee0859fb1a5e4f91f7a1d7a3752c7d5a72d5cc6ecb2d2",
  ForcedInclusionSaved: "0x18c4fc1e6ac628dbb537b0375bf0efabf1ff2528af1ec22faa74d2da95c29471",
  BondDeposited: "0xe5e95641fa87bdfef3ce0d39f0c9a37c200f3bf59f53623b3de21e03ed33e3d2",
  BondWithdrawn: "0x3362c96009316515fccd3dd29c7036c305ad9e892d83dd5681845ac9edb0c9a8",
  WithdrawalRequested: "0x3bbe41cfdd142e0f9b2224dac18c6efd2a6966e35a9ec23ab57ce63a60b33604",
  WithdrawalCancelled: "0xc51fdb96728de385ec7859819e3997bc618362ef0dbca0ad051d856866cda3db",
  LivenessBondSettled: "0xaa22f5157944b5fa6846460e159d57ea9c3878e71fda274af372fa2ccf285aa0",
} as const;
const PROVED_WITH_CHECKPOINT_TOPIC0 = "0x7ca0f1e30099488c4ee24e86a6b2c6802e9add6d530919af7aa17db3bcc1cff1";

const SHASTA_INBOX = mainnet.forks[1]?.contracts.inbox as Hex;
const PACAYA_INBOX = mainnet.forks[0]?.contracts.inbox as Hex;
const a = (n: number): Hex => `0x${n.toString(16).padStart(40, "0")}`;
const b32 = (c: string): Hex => `0x${c.repeat(64)}`;
const slice = { blobHashes: [b32("1")], offset: 0, timestamp: 1_775_135_800 };

/** One log of each Shasta event, built with the real ABI, as the mainnet Shasta inbox emits it. */
const SHASTA_LOGS: readonly [keyof typeof PROTOCOL_TOPIC0, Record<string, unknown>, string][] = [
  [
    "Proposed",
    {
      id: 7,
      proposer: a(1),
      parentProposalHash: b32("2"),
      endOfSubmissionWindowTimestamp: 1_775_136_000,
      basefeeSharingPctg: 75,
      sources: [{ isForcedInclusion: false, blobSlice: slice }],
    },
    "shasta_proposed",
  ],
  [
    "Proved",
    { firstProposalId: 5, firstNewProposalId: 6, lastProposalId: 7, actualProver: a(2) },
    "shasta_proved",
  ],
  [
    "StateRecovered",
    { nextProposalId: 8, lastFinalizedProposalId: 6, lastFinalizedBlockHash: b32("3") },
    "shasta_state_recovered",
  ],
  ["ForcedInclusionsVoided", { oldHead: 2, newHead: 4 }, "shasta_forced_inclusions_voided"],
  ["InboxActivated", { lastPacayaBlockHash: b32("4") }, "shasta_inbox_activated"],
  [
    "ForcedInclusionSaved",
    { forcedInclusion: { feeInGwei: 10n, blobSlice: slice } },
    "shasta_forced_inclusion_saved",
  ],
  ["BondDeposited", { depositor: a(3), recipient: a(4), amount: 5n }, "shasta_bond_event"],
  ["BondWithdrawn", { account: a(3), amount: 5n }, "shasta_bond_event"],
  ["WithdrawalRequested", { account: a(3), withdrawableAt: 1_775_139_300 }, "shasta_bond_event"],
  ["WithdrawalCancelled", { account: a(3) }, "shasta_bond_event"],
  [
    "LivenessBondSettled",
    { payer: a(3), payee: a(4), livenessBond: 9n, credited: 4n, slashed: 5n },
    "shasta_bond_event",
  ],
];

const BLOCK = 24_000_000;
const TIMESTAMP = 1_775_135_900;

function asChainLog(log: ReturnType<typeof shastaLog>, address: Hex, logIndex: number): ChainLog {
  return { ...log, address: address.toLowerCase() as Hex, blockNumber: BLOCK, logIndex };
}

describe("fork-aware decoding of logs built with the real ABIs", () => {
  it.each(SHASTA_LOGS)(
    "%s carries the protocol's topic0 and decodes from the Shasta inbox",
    (name, args, type) => {
      // Prepare
      const log = asChainLog(shastaLog(name, args), SHASTA_INBOX, 3);

      // Act
      const { events, skipped } = decodeForkLogs({
        logs: [log],
        blockTimestamps: new Map([[BLOCK, TIMESTAMP]]),
        network: mainnet,
      });

      // Assess: the topic the real ABI writes is the protocol's, and the ingestor asks eth_getLogs for it
      expect(log.topics[0]).toBe(PROTOCOL_TOPIC0[name]);
      expect(forkEventTopics(mainnet)).toContain(PROTOCOL_TOPIC0[name]);
      expect(skipped).toEqual([]);
      expect(events.map((e) => e.type)).toEqual([type]);
    },
  );

  it("asks eth_getLogs for the Hoodi-era Proved too, and for no topic the protocol does not define", () => {
    // Act
    const topics = new Set(forkEventTopics(mainnet));

    // Assess
    expect(topics.has(PROVED_WITH_CHECKPOINT_TOPIC0)).toBe(true);
    for (const t of Object.values(PROTOCOL_TOPIC0)) expect(topics.has(t)).toBe(true);
    // 4 Pacaya events + 11 Shasta + the old Proved
    expect(topics.size).toBe(16);
  });

  it("routes by emitting contract across the fork: Pacaya's inbox still verifies after Shasta activates", () => {
    // Prepare: one block after the activation holds a Pacaya BatchesVerified and a Shasta Proposed
    const verified: ChainLog = {
      address: PACAYA_INBOX,
      topics: encodeEventTopics({ abi: inboxAbi, eventName: "BatchesVerified" }) as Hex[],
      data: encodeAbiParameters([{ type: "uint64" }, { type: "bytes32" }], [1_300_000n, b32("5")]),
      blockNumber: BLOCK,
      blockHash: b32("b"),
      transactionHash: b32("c"),
      logIndex: 1,
    };
    const [name, args] = SHASTA_LOGS[0] as (typeof SHASTA_LOGS)[number];
    const proposedLog = asChainLog(shastaLog(name, args), SHASTA_INBOX, 2);
    const stray = { ...proposedLog, address: a(99), logIndex: 3 };

    // Act
    const { events, skipped } = decodeForkLogs({
      logs: [proposedLog, verified, stray],
      blockTimestamps: new Map([[BLOCK, TIMESTAMP]]),
      network: mainnet,
    });

    // Assess: each by its own contract's decoder, in log order; a contract the network does not name is refused
    expect(events.map((e) => e.type)).toEqual(["batches_verified", "shasta_proposed"]);
    expect(skipped.map((s) => s.log.logIndex)).toEqual([3]);
    expect(watchedAddresses(mainnet)).toEqual(expect.arrayContaining([PACAYA_INBOX, SHASTA_INBOX]));
  });

  it("decodes a Shasta-layout log from the Pacaya inbox as Pacaya, never as Shasta (no guessing by topic)", () => {
    // Prepare
    const [name, args] = SHASTA_LOGS[0] as (typeof SHASTA_LOGS)[number];
    const log = asChainLog(shastaLog(name, args), PACAYA_INBOX, 4);

    // Act
    const { events, skipped } = decodeForkLogs({
      logs: [log],
      blockTimestamps: new Map([[BLOCK, TIMESTAMP]]),
      network: mainnet,
    });

    // Assess
    expect(events).toEqual([]);
    expect(skipped).toHaveLength(1);
  });
});
