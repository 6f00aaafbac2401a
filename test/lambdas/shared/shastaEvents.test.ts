import { describe, expect, it } from "vitest";
import { validateRecord } from "../../../lambdas/processor/validateRecord.js";
import { InvalidMessageError } from "../../../lambdas/shared/errors.js";
import { EVENT_TYPES, type PipelineEvent, PipelineEventSchema } from "../../../lambdas/shared/events.js";
import { eventKey, messageGroupId, observationId } from "../../../lambdas/shared/keys.js";
import { address, at, hash } from "../../support/events.js";
import {
  everyBond,
  settledBond,
  shastaActivated,
  shastaBond,
  shastaProposalBlock,
  shastaProposed,
  shastaProved,
  shastaSaved,
  shastaStateRecovered,
  shastaVoided,
} from "../../support/shastaEvents.js";
import { rawRecord } from "../processor/helpers.js";

const deposit = {
  kind: "deposited",
  depositor: address(0xe1),
  recipient: address(0xe2),
  amountGwei: "5",
} as const;

const valid = (): PipelineEvent[] => [
  shastaProposed(0, at(40), { sources: 0 }),
  shastaProposed(7, at(41), { sources: 11, forced: 10 }),
  shastaProved({ first: 1, firstNew: 3, last: 4 }, at(42)),
  { ...shastaProved({ first: 5, firstNew: 5, last: 5 }, at(42, { logIndex: 1 })), checkpointSynced: true },
  shastaStateRecovered(at(43)),
  shastaVoided(at(43, { logIndex: 1 })),
  shastaActivated(at(43, { logIndex: 2 })),
  shastaSaved(at(44)),
  ...everyBond().map((b, i) => shastaBond(b, at(45, { logIndex: i }))),
  shastaProposalBlock(9, 7),
];

/** An event with one field replaced (by path), and the path the refusal must name. */
function withField(event: PipelineEvent, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(event) as unknown as Record<string | number, unknown>;
  let node = copy;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

describe("Shasta event schemas", () => {
  it("accept every Shasta event the protocol can emit, genesis and the source limit included", () => {
    for (const event of valid()) {
      // Act
      const parsed = PipelineEventSchema.safeParse(event);
      // Assess
      expect({ type: event.type, ok: parsed.success, issues: parsed.error?.issues }).toEqual({
        type: event.type,
        ok: true,
        issues: undefined,
      });
    }
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining([
        "shasta_proposed",
        "shasta_proved",
        "shasta_state_recovered",
        "shasta_forced_inclusions_voided",
        "shasta_inbox_activated",
        "shasta_forced_inclusion_saved",
        "shasta_bond_event",
        "shasta_proposal_block",
      ]),
    );
  });

  const proposedEvent = shastaProposed(7, at(41), { sources: 2, forced: 1 });
  const proof = shastaProved({ first: 1, firstNew: 3, last: 4 }, at(42));
  const settled = shastaBond(settledBond(), at(45));
  it.each([
    ["a proposal id past uint48", proposedEvent, ["proposalId"], 2 ** 48],
    ["an L1 timestamp in milliseconds", proposedEvent, ["l1", "timestamp"], 1_700_000_000_000],
    ["an L1 timestamp of zero", proposedEvent, ["l1", "timestamp"], 0],
    ["a fee share over 100 %", proposedEvent, ["basefeeSharingPctg"], 101],
    [
      "twelve sources (10 forced + 1 is the most)",
      shastaProposed(7, at(41), { sources: 12 }),
      ["sources"],
      undefined,
    ],
    ["a blob slice without blobs", proposedEvent, ["sources", 0, "blobSlice", "blobHashes"], []],
    ["a blob offset past uint24", proposedEvent, ["sources", 1, "blobSlice", "offset"], 2 ** 24],
    [
      "a submission window end in milliseconds",
      proposedEvent,
      ["endOfSubmissionWindowTimestamp"],
      1_700_000_000_000,
    ],
    ["an upper-case proposer", proposedEvent, ["proposer"], "0xABCDEF0123456789ABCDEF0123456789ABCDEF01"],
    ["a proof whose first new id is below its first", proof, ["firstNewProposalId"], 0],
    ["a proof whose last id is below its first new", proof, ["lastProposalId"], 2],
    ["a fee past uint64", shastaSaved(at(44)), ["feeInGwei"], "18446744073709551616"],
    ["a fee with a leading zero", shastaSaved(at(44)), ["feeInGwei"], "01"],
    ["an absurd ordinal in one tx", shastaSaved(at(44)), ["ordinalInTx"], 1_000_000],
    ["a slashed amount that is not a number", settled, ["bond", "slashedGwei"], "lots"],
    ["a bond kind the protocol does not have", settled, ["bond", "kind"], "stolen"],
    [
      "a recovery that finalizes past the next id",
      shastaStateRecovered(at(43)),
      ["lastFinalizedProposalId"],
      9,
    ],
    ["a voiding whose new head is behind the old", shastaVoided(at(43)), ["newHead"], 2],
    ["an L2 link to the genesis proposal", shastaProposalBlock(9, 7), ["proposalId"], 0],
    ["an L2 block number past uint48", shastaProposalBlock(9, 7), ["number"], 2 ** 48],
  ])("refuse %s, naming the field", (_, event, path, value) => {
    // Prepare: undefined means the event is already absurd as built
    const body = value === undefined ? event : withField(event as PipelineEvent, path, value);
    // Act
    const parsed = PipelineEventSchema.safeParse(body);
    const result = validateRecord(rawRecord(JSON.stringify(body)));
    // Assess: the issue sits on the field, and the DLQ reason names it
    expect(parsed.success).toBe(false);
    const paths = (parsed.error?.issues ?? []).map((i) => i.path.join("."));
    expect(paths).toContain(path.join("."));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidMessageError);
      expect(result.error.message).toContain(`${path.join(".")}:`);
    }
  });

  it("key every event with shastaKeys' formats and group L2 links with their L2 block", () => {
    // Prepare
    const tx = at(41).txHash;
    // Act / Assess
    expect(eventKey(shastaProposed(7, at(41)))).toBe(`7:${tx}-proposed`);
    expect(eventKey(shastaProved({ first: 1, firstNew: 3, last: 4 }, at(41)))).toBe(`4:${tx}-proved`);
    expect(eventKey(shastaSaved(at(41), 2))).toBe(`${tx}:2-forced_inclusion_saved`);
    expect(eventKey(shastaBond(deposit, at(41), 1))).toBe(`${address(0xe2)}:${tx}:1-bond_deposited`);
    expect(eventKey(shastaProposalBlock(9, 7))).toBe(`7:9:${hash("l2:9")}-proposal_block`);
    expect(messageGroupId(shastaProposalBlock(9, 7), 16)).toBe("l2:9");
    expect(messageGroupId(shastaProposed(17, at(41)), 16)).toBe("inbox:1");
    // The same fact re-included in another L1 block keeps its key and gets a new observation id.
    const moved = shastaProposed(7, at(42, { txHash: tx }));
    expect(eventKey(moved)).toBe(eventKey(shastaProposed(7, at(41))));
    expect(observationId(moved)).not.toBe(observationId(shastaProposed(7, at(41))));
  });
});
