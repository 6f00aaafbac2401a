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
