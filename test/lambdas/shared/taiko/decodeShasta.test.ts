import { type Hex, toEventSelector } from "viem";
import { describe, expect, it } from "vitest";
import { PermanentError } from "../../../../lambdas/shared/errors.js";
import { decodeShastaLog, decodeShastaLogs } from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { ShastaLogDecodeError } from "../../../../lambdas/shared/taiko/ShastaDecodeError.js";
import { shastaProvedWithCheckpointAbi } from "../../../../lambdas/shared/taiko/shastaAbi.js";
import { BLOCK_HASH, h, INBOX, shastaLog, TX } from "./helpers.js";

// Checksummed, as nodes and viem return them; records hold them lowercase.
const PROPOSER = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01";
const PROVER = "0x5F62d006C10C009ff50C878Cd6157aC861C99990";

const location = {
  address: INBOX.toLowerCase(),
  blockNumber: 24_000_000,
  blockHash: BLOCK_HASH,
  txHash: TX,
  logIndex: 7,
};

const UINT48_MAX = 2 ** 48 - 1;
const UINT64_MAX = 2n ** 64n - 1n;

describe("decodeShastaLog round-trips every field", () => {
  it("Proposed with three sources, one a forced inclusion", () => {
    // Prepare
    const sources = [
      {
        isForcedInclusion: false,
        blobSlice: { blobHashes: [h("A1"), h("A2")], offset: 0, timestamp: 1_775_200_000 },
      },
      {
        isForcedInclusion: true,
        blobSlice: { blobHashes: [h("B1")], offset: 2 ** 24 - 1, timestamp: 1_775_100_000 },
      },
      { isForcedInclusion: false, blobSlice: { blobHashes: [], offset: 4096, timestamp: UINT48_MAX } },
    ];
    const log = shastaLog("Proposed", {
      id: UINT48_MAX,
      proposer: PROPOSER,
      parentProposalHash: h("9F"),
      endOfSubmissionWindowTimestamp: 1_775_200_012,
      basefeeSharingPctg: 75,
      sources,
    });

    // Act
    const record = decodeShastaLog(log);

    // Assess
    expect(record).toEqual({
      type: "shasta_proposed",
      log: location,
      proposalId: UINT48_MAX,
      proposer: PROPOSER.toLowerCase(),
      parentProposalHash: h("9f"),
      endOfSubmissionWindowTimestamp: 1_775_200_012,
      basefeeSharingPctg: 75,
      sources: [
        {
          isForcedInclusion: false,
          blobSlice: { blobHashes: [h("a1"), h("a2")], offset: 0, timestamp: 1_775_200_000 },
        },
        {
          isForcedInclusion: true,
          blobSlice: { blobHashes: [h("b1")], offset: 2 ** 24 - 1, timestamp: 1_775_100_000 },
        },
        { isForcedInclusion: false, blobSlice: { blobHashes: [], offset: 4096, timestamp: UINT48_MAX } },
      ],
    });
  });

  it("the genesis Proposed that activate() emits (id 0, no proposer, no source)", () => {
    // Prepare
    const log = shastaLog("Proposed", {
      id: 0,
      proposer: "0x0000000000000000000000000000000000000000",
      parentProposalHash: h("00"),
      endOfSubmissionWindowTimestamp: 0,
      basefeeSharingPctg: 0,
      sources: [],
    });

    // Act
    const record = decodeShastaLog(log);

    // Assess
    expect(record).toMatchObject({ type: "shasta_proposed", proposalId: 0, sources: [] });
  });

  it("Proved whose range overlaps finalized proposals", () => {
    // Prepare
    const log = shastaLog("Proved", {
      firstProposalId: 3,
      firstNewProposalId: 5,
      lastProposalId: 7,
      actualProver: PROVER,
    });

    // Act
    const record = decodeShastaLog(log);

    // Assess
    expect(record).toEqual({
      type: "shasta_proved",
      log: location,
      firstProposalId: 3,
      firstNewProposalId: 5,
      lastProposalId: 7,
      actualProver: PROVER.toLowerCase(),
      checkpointSynced: null,
    });
  });

  it.each([true, false])("the Hoodi-era Proved with checkpointSynced = %s", (checkpointSynced) => {
    // Prepare
    const log = shastaLog(
      "Proved",
      {
        firstProposalId: 10,
        firstNewProposalId: 10,
        lastProposalId: 12,
        actualProver: PROVER,
        checkpointSynced,
      },
      { abi: shastaProvedWithCheckpointAbi },
    );

    // Act
    const record = decodeShastaLog(log);

    // Assess
    expect(record).toEqual({
      type: "shasta_proved",
      log: location,
      firstProposalId: 10,
      firstNewProposalId: 10,
      lastProposalId: 12,
      actualProver: PROVER.toLowerCase(),
      checkpointSynced,
    });
  });

  it("StateRecovered, ForcedInclusionsVoided and InboxActivated", () => {
    // Prepare
    const logs = [
      shastaLog("StateRecovered", {
        nextProposalId: 900,
        lastFinalizedProposalId: 850,
        lastFinalizedBlockHash: h("E1"),
      }),
      shastaLog("ForcedInclusionsVoided", { oldHead: 2, newHead: 3 }, { logIndex: 8 }),
      shastaLog("InboxActivated", { lastPacayaBlockHash: h("CA") }, { logIndex: 9 }),
    ];

    // Act
    const { records, failures } = decodeShastaLogs(logs);

    // Assess
    expect(failures).toEqual([]);
    expect(records).toEqual([
      {
        type: "shasta_state_recovered",
        log: location,
        nextProposalId: 900,
        lastFinalizedProposalId: 850,
        lastFinalizedBlockHash: h("e1"),
      },
      { type: "shasta_forced_inclusions_voided", log: { ...location, logIndex: 8 }, oldHead: 2, newHead: 3 },
      { type: "shasta_inbox_activated", log: { ...location, logIndex: 9 }, lastPacayaBlockHash: h("ca") },
    ]);
  });

  it("ForcedInclusionSaved keeps a uint64 fee exactly", () => {
    // Prepare
    const log = shastaLog("ForcedInclusionSaved", {
      forcedInclusion: {
        feeInGwei: UINT64_MAX,
        blobSlice: { blobHashes: [h("0F")], offset: 12, timestamp: 1_782_095_507 },
      },
    });

    // Act
    const record = decodeShastaLog(log);

    // Assess
    expect(record).toEqual({
      type: "shasta_forced_inclusion_saved",
      log: location,
      feeInGwei: UINT64_MAX.toString(),
      blobSlice: { blobHashes: [h("0f")], offset: 12, timestamp: 1_782_095_507 },
    });
  });

  it("every bond event", () => {
    // Prepare
    const other = "0x1111111111111111111111111111111111111111";
    const logs = [
      shastaLog(
        "BondDeposited",
        { depositor: PROPOSER, recipient: other, amount: 1_000_000_000n },
        { logIndex: 1 },
      ),
      shastaLog("BondWithdrawn", { account: PROPOSER, amount: UINT64_MAX }, { logIndex: 2 }),
      shastaLog("WithdrawalRequested", { account: PROPOSER, withdrawableAt: 1_790_000_000 }, { logIndex: 3 }),
      shastaLog("WithdrawalCancelled", { account: PROPOSER }, { logIndex: 4 }),
      shastaLog(
        "LivenessBondSettled",
        {
          payer: PROPOSER,
          payee: PROVER,
          livenessBond: 128_000_000_000n,
          credited: 64_000_000_000n,
          slashed: 64_000_000_000n,
        },
        { logIndex: 5 },
      ),
    ];

    // Act
    const { records, failures } = decodeShastaLogs(logs);

    // Assess
    const p = PROPOSER.toLowerCase();
    expect(failures).toEqual([]);
    expect(records).toEqual([
      {
        type: "shasta_bond_deposited",
        log: { ...location, logIndex: 1 },
        depositor: p,
        recipient: other,
        amountGwei: "1000000000",
      },
      {
        type: "shasta_bond_withdrawn",
        log: { ...location, logIndex: 2 },
        account: p,
        amountGwei: UINT64_MAX.toString(),
      },
      {
        type: "shasta_withdrawal_requested",
        log: { ...location, logIndex: 3 },
        account: p,
        withdrawableAt: 1_790_000_000,
      },
      { type: "shasta_withdrawal_cancelled", log: { ...location, logIndex: 4 }, account: p },
      {
        type: "shasta_liveness_bond_settled",
        log: { ...location, logIndex: 5 },
        payer: p,
        payee: PROVER.toLowerCase(),
        livenessBondGwei: "128000000000",
        creditedGwei: "64000000000",
        slashedGwei: "64000000000",
      },
    ]);
  });
});

describe("decodeShastaLog refuses what the inbox never wrote", () => {
  function caught(fn: () => unknown): ShastaLogDecodeError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ShastaLogDecodeError);
      return error as ShastaLogDecodeError;
    }
    throw new Error("expected a ShastaLogDecodeError");
  }

  it("an unknown topic0 (a Pacaya event sent to the Shasta decoder)", () => {
    // Prepare
    const topic0 = toEventSelector("BatchesVerified(uint64,bytes32)");
    const log = {
      ...shastaLog("InboxActivated", { lastPacayaBlockHash: h("CA") }),
      topics: [topic0] as Hex[],
      logIndex: 42,
    };

    // Act
    const error = caught(() => decodeShastaLog(log));

    // Assess: permanent, and it names topic, tx hash and log index
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.retryable).toBe(false);
    expect(error.context).toMatchObject({
      topic0,
      txHash: TX,
      logIndex: 42,
      address: INBOX,
      blockNumber: 24_000_000,
    });
    expect(error.message).toContain(topic0);
    expect(error.message).toContain(TX);
    expect(error.message).toContain("log index 42");
  });

  it("data too short for the event's layout", () => {
    // Prepare
    const good = shastaLog("StateRecovered", {
      nextProposalId: 9,
      lastFinalizedProposalId: 8,
      lastFinalizedBlockHash: h("E1"),
    });
    const log = { ...good, data: good.data.slice(0, 66) as Hex };

    // Act
    const error = caught(() => decodeShastaLog(log));

    // Assess
    expect(error.topic0).toBe(good.topics[0]);
    expect(error.reason).not.toBe("");
    expect(error.cause).toBeDefined();
  });

  it("a Proved whose range runs backwards", () => {
    // Prepare
    const log = shastaLog("Proved", {
      firstProposalId: 5,
      firstNewProposalId: 4,
      lastProposalId: 7,
      actualProver: PROVER,
    });

    // Act
    const error = caught(() => decodeShastaLog(log));

    // Assess
    expect(error.reason).toContain("first 5, first new 4, last 7");
  });

  it("a log without topics", () => {
    // Prepare
    const log = { ...shastaLog("WithdrawalCancelled", { account: PROPOSER }), topics: [] };

    // Act
    const error = caught(() => decodeShastaLog(log));

    // Assess
    expect(error.topic0).toBeUndefined();
    expect(error.message).toContain("topic0 none");
  });

  it("decodeShastaLogs reports a bad log and keeps decoding the rest", () => {
    // Prepare
    const bad = {
      ...shastaLog("WithdrawalCancelled", { account: PROPOSER }),
      topics: [h("01")],
      logIndex: 3,
    };
    const good = shastaLog("WithdrawalCancelled", { account: PROPOSER }, { logIndex: 4 });

    // Act
    const { records, failures } = decodeShastaLogs([bad, good]);

    // Assess
    expect(records.map((r) => r.log.logIndex)).toEqual([4]);
    expect(failures.map((f) => f.logIndex)).toEqual([3]);
  });
});
