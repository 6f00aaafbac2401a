import { describe, expect, it } from "vitest";
import { InvalidBundleError, MessageTooLargeError } from "../../../lambdas/shared/errors.js";
import {
  BUNDLE_OVERHEAD_BYTES,
  decodeBundle,
  type EncodedEvent,
  encodeBundle,
  packBundles,
} from "../../../lambdas/shared/eventBundle.js";
import { MAX_MESSAGE_BYTES, type PipelineEvent } from "../../../lambdas/shared/events.js";
import { observationId } from "../../../lambdas/shared/keys.js";
import { l1Header } from "../../support/events.js";

const encoded = (event: PipelineEvent): EncodedEvent => {
  const json = JSON.stringify(event);
  return { json, bytes: Buffer.byteLength(json), dedupId: observationId(event) };
};

describe("event bundles", () => {
  it("round-trips a group's events in order, each as the body it would have been alone", () => {
    // Prepare
    const events = [l1Header(1), l1Header(17), l1Header(33)];

    // Act
    const bundle = encodeBundle(events.map(encoded));
    const decoded = decodeBundle(bundle.body);

    // Assess
    expect(bundle.events).toBe(3);
    expect(bundle.bytes).toBe(Buffer.byteLength(bundle.body));
    expect(decoded).toEqual({ kind: "bundle", bodies: events.map((e) => JSON.stringify(e)) });
  });

  it("derives the dedup id from the inner observations: same content, same id; other content or order, another", () => {
    // Prepare
    const [a, b, c] = [l1Header(1), l1Header(2), l1Header(3)].map(encoded) as [
      EncodedEvent,
      EncodedEvent,
      EncodedEvent,
    ];

    // Act
    const ids = [
      [a, b],
      [a, b],
      [b, a],
      [a, b, c],
    ].map((run) => encodeBundle(run).dedupId);

    // Assess
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(3);
  });

  it("splits before the byte limit: every bundle fits, and the next event would not have", () => {
    // Prepare: ~500-byte headers, a 4 KiB limit
    const events = Array.from({ length: 60 }, (_, i) => encoded(l1Header(i + 1)));
    const maxBytes = 4096;

    // Act
    const runs = packBundles(events, { maxBytes });

    // Assess
    expect(runs.flat()).toEqual(events);
    runs.forEach((run, i) => {
      const { bytes } = encodeBundle(run);
      expect(bytes).toBeLessThanOrEqual(maxBytes);
      const next = runs[i + 1]?.[0];
      if (next) expect(bytes + 1 + next.bytes).toBeGreaterThan(maxBytes);
    });
  });

  it("caps the events per bundle, and leaves an event too large to share a bundle on its own", () => {
    // Prepare
    const small = Array.from({ length: 7 }, (_, i) => encoded(l1Header(i + 1)));
    const big = { json: "x", bytes: 5000, dedupId: "big" };

    // Act
    const byCount = packBundles(small, { maxBytes: MAX_MESSAGE_BYTES, maxEvents: 3 });
    const bySize = packBundles([small[0] as EncodedEvent, big, small[1] as EncodedEvent], { maxBytes: 4096 });

    // Assess
    expect(byCount.map((r) => r.length)).toEqual([3, 3, 1]);
    expect(bySize.map((r) => r.length)).toEqual([1, 1, 1]);
    expect(() => packBundles(small, { maxBytes: BUNDLE_OVERHEAD_BYTES })).toThrow(RangeError);
  });

  it("reads a plain event as single, and names what is wrong with a bundle it cannot read", () => {
    // Prepare
    const bad = {
      "not JSON": '{"type":"bundle","v":1,"events":[{"type":',
      version: '{"type":"bundle","v":2,"events":[{}]}',
      empty: '{"type":"bundle","v":1,"events":[]}',
      "no array": '{ "type" : "bundle", "v":1, "events":{} }',
    };

    // Act
    const single = decodeBundle(JSON.stringify(l1Header(1)));
    const refused = Object.entries(bad).map(([what, body]) => [what, decodeBundle(body)] as const);
    const tooLarge = decodeBundle(`{"type":"bundle","v":1,"events":["${"x".repeat(MAX_MESSAGE_BYTES)}"]}`);

    // Assess
    expect(single).toEqual({ kind: "single" });
    for (const [what, result] of refused) {
      expect(result.kind, what).toBe("invalid");
      if (result.kind === "invalid") expect(result.error, what).toBeInstanceOf(InvalidBundleError);
    }
    expect(refused.map(([, r]) => (r.kind === "invalid" ? r.error.message : ""))).toEqual([
      "bundle is not JSON",
      "bundle version 2 is not 1",
      "bundle has no events array with an event in it",
      "bundle has no events array with an event in it",
    ]);
    expect(tooLarge.kind === "invalid" && tooLarge.error).toBeInstanceOf(MessageTooLargeError);
  });
});
