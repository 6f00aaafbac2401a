import { describe, expect, it } from "vitest";
import { shastaEventKeyOf } from "../../../../lambdas/shared/shastaEventKeys.js";
import type { ShastaRecord } from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { decodeShastaLogs } from "../../../../lambdas/shared/taiko/decodeShasta.js";
import { shastaEventOf } from "../../../../lambdas/shared/taiko/shastaEventOf.js";
import { proposalBlockKey, txOrdinals } from "../../../../lambdas/shared/taiko/shastaKeys.js";
import { h, shastaLog, TX } from "./helpers.js";

const ACCOUNT = "0x1111111111111111111111111111111111111111";

/** The keys the ingestor gives one eth_getLogs answer's records: through their queue events. */
const keysOf = (records: readonly ShastaRecord[]) => {
  const ordinals = txOrdinals(records);
  return records.map((r, i) =>
    shastaEventKeyOf(shastaEventOf(r, { blockTimestamp: 1_775_200_000, ordinalInTx: ordinals[i] as number })),
  );
};

describe("Shasta event keys", () => {
  it("follow the seed's {id}:{l1_tx_hash}-{type} style", () => {
    // Prepare
    const { records } = decodeShastaLogs([
      shastaLog("Proposed", {
        id: 42,
        proposer: ACCOUNT,
        parentProposalHash: h("01"),
        endOfSubmissionWindowTimestamp: 0,
        basefeeSharingPctg: 75,
        sources: [],
      }),
      shastaLog("Proved", {
        firstProposalId: 40,
        firstNewProposalId: 41,
        lastProposalId: 42,
        actualProver: ACCOUNT,
      }),
      shastaLog("InboxActivated", { lastPacayaBlockHash: h("ca") }),
    ]);

    // Act
    const keys = keysOf(records);

    // Assess
    expect(keys).toEqual([`42:${TX}-proposed`, `42:${TX}-proved`, `${h("ca")}:${TX}-inbox_activated`]);
  });

  it("tell two identical deposits in one transaction apart, and keep keys when a reorg moves the tx", () => {
    // Prepare: the same tx seen in two blocks (before and after a reorg), two equal deposits each time
    const deposit = { depositor: ACCOUNT, recipient: ACCOUNT, amount: 5n };
    const before = decodeShastaLogs([
      shastaLog("BondDeposited", deposit, { logIndex: 3 }),
      shastaLog("BondDeposited", deposit, { logIndex: 4 }),
    ]).records;
    const after = decodeShastaLogs([
      {
        ...shastaLog("BondDeposited", deposit, { logIndex: 11 }),
        blockHash: h("be"),
        blockNumber: 24_000_001,
      },
      {
        ...shastaLog("BondDeposited", deposit, { logIndex: 12 }),
        blockHash: h("be"),
        blockNumber: 24_000_001,
      },
    ]).records;

    // Act / Assess
    expect(keysOf(before)).toEqual([
      `${ACCOUNT}:${TX}:0-bond_deposited`,
      `${ACCOUNT}:${TX}:1-bond_deposited`,
    ]);
    expect(keysOf(after)).toEqual(keysOf(before));
  });

  it("key the L2 link by proposal, block number and block hash", () => {
    // Act / Assess
    expect(proposalBlockKey({ proposalId: 7, blockNumber: 1000, blockHash: h("d0") })).toBe(
      `7:1000:${h("d0")}-proposal_block`,
    );
  });
});
