import { describe, expect, it } from "vitest";
import { validateRecord } from "../../../lambdas/processor/validateRecord.js";
import {
  InvalidMessageError,
  MessageTooLargeError,
  UnknownEventTypeError,
} from "../../../lambdas/shared/errors.js";
import { MAX_MESSAGE_BYTES } from "../../../lambdas/shared/events.js";
import { eventKey, observationId } from "../../../lambdas/shared/keys.js";
import { l1Header, proposed, rawRecord, sqsRecord } from "./helpers.js";

describe("validateRecord", () => {
  it("returns the event with its key and observation id", () => {
    // Prepare
    const event = proposed(3);

    // Act
    const result = validateRecord(sqsRecord(event));

    // Assess
    expect(result).toEqual({
      ok: true,
      event,
      key: eventKey(event),
      observationId: observationId(event),
      dedupIdMatches: true,
    });
  });

  it("flags, without rejecting, a deduplication id that is not the observation id", () => {
    // Act
    const result = validateRecord(sqsRecord(l1Header(1), { dedupId: "assigned-by-redrive" }));

    // Assess
    expect(result).toMatchObject({ ok: true, dedupIdMatches: false });
  });

  it.each([
    ["a body that is not JSON", rawRecord("{oops"), InvalidMessageError, /not JSON/],
    ["JSON that is not an object", rawRecord("[1,2]"), InvalidMessageError, /schema/],
    [
      "an unknown event type",
      rawRecord(JSON.stringify({ ...l1Header(1), type: "l3_header" })),
      UnknownEventTypeError,
      /l3_header/,
    ],
    [
      "a known type failing the schema",
      rawRecord(JSON.stringify({ ...l1Header(1), number: -1, miner: "0xZZ" })),
      InvalidMessageError,
      /number: .*; miner: /,
    ],
    [
      "a proposal claiming 10^9 blocks (past Pacaya's uint16 maxBlocksPerBatch)",
      rawRecord(JSON.stringify({ ...proposed(3), lastBlockId: 2_000_000_000, blockCount: 1_000_000_000 })),
      InvalidMessageError,
      /blockCount: exceeds uint16 maxBlocksPerBatch/,
    ],
    [
      "a proposal of no blocks",
      rawRecord(JSON.stringify({ ...proposed(3), blockCount: 0 })),
      InvalidMessageError,
      /blockCount: a batch has at least one block/,
    ],
    [
      "a proposal whose blocks would start below block 0",
      rawRecord(JSON.stringify({ ...proposed(3), lastBlockId: 5, blockCount: 7 })),
      InvalidMessageError,
      /blockCount: blockCount exceeds lastBlockId \+ 1/,
    ],
    [
      "a header timestamp in milliseconds",
      rawRecord(JSON.stringify({ ...l1Header(1), timestamp: 1_700_000_000_000 })),
      InvalidMessageError,
      /timestamp: is not a unix time in seconds/,
    ],
    [
      "a body above the size limit",
      rawRecord(JSON.stringify({ ...l1Header(1), pad: "x".repeat(MAX_MESSAGE_BYTES) })),
      MessageTooLargeError,
      /bytes/,
    ],
  ])("rejects %s as permanent", (_, record, errorClass, message) => {
    // Act
    const result = validateRecord(record);

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(errorClass);
    expect(result.error.retryable).toBe(false);
    expect(result.error.message).toMatch(message);
  });
});
