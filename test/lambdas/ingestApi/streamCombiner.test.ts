import { describe, expect, it } from "vitest";
import type { OutboxRecord } from "../../../lambdas/ingestApi/outboxRecord.js";
import type { SequenceOutcome, SequenceRequest } from "../../../lambdas/ingestApi/sequenceEvents.js";
import { createStreamCombiner, type SequenceStream } from "../../../lambdas/ingestApi/streamCombiner.js";

const request = (eventId: string) => ({ eventId }) as SequenceRequest;

/** A sequencing call that numbers from a head, records each call, and resolves when released. */
function fakeSequencer() {
  let head = 0;
  const calls: string[][] = [];
  const gates: (() => void)[] = [];
  const run: SequenceStream = async (_stream, requests) => {
    calls.push(requests.map((r) => r.eventId));
    await new Promise<void>((r) => gates.push(r));
    const out = new Map<string, SequenceOutcome>();
    for (const r of requests) {
      head++;
      const record = { eventId: r.eventId, sequence: head, receipt: { acceptedAt: "t" } } as OutboxRecord;
      out.set(r.eventId, { status: "accepted", record });
    }
    return out;
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()?.();
  };
  return { run, calls, release };
}

const summary = (m: Map<string, SequenceOutcome>) =>
  [...m.values()].map((o) => (o.status === "accepted" ? `+${o.record.sequence}` : `=${o.sequence}`));

describe("createStreamCombiner", () => {
  it("numbers the requests that waited behind a running call together, once per eventId", async () => {
    // Prepare
    const combine = createStreamCombiner();
    const s = fakeSequencer();
    // Act: a runs alone; b, c and d (d repeats b's event) arrive meanwhile and go in one call.
    const a = combine("ops", [request("a1")], s.run);
    const b = combine("ops", [request("b1"), request("x")], s.run);
    const c = combine("ops", [request("c1")], s.run);
    const d = combine("ops", [request("x")], s.run);
    await s.release();
    await s.release();
    // Assess
    expect(s.calls).toEqual([["a1"], ["b1", "x", "c1"]]);
    expect(summary(await a)).toEqual(["+1"]);
    expect(summary(await b)).toEqual(["+2", "+3"]);
    expect(summary(await c)).toEqual(["+4"]);
    expect(summary(await d)).toEqual(["=3"]);
  });

  it("fails every request of a failed call; the next call starts afresh", async () => {
    // Prepare
    const combine = createStreamCombiner();
    let fail = true;
    const run: SequenceStream = async (_s, requests) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error("throttled");
      return new Map(
        requests.map((r) => [
          r.eventId,
          { status: "duplicate", eventId: r.eventId, sequence: 7, acceptedAt: "t" },
        ]),
      );
    };
    // Act
    const first = combine("ops", [request("a")], run);
    const second = combine("ops", [request("b")], run);
    const other = combine("relays", [request("c")], run);
    const results = await Promise.allSettled([first, second, other]);
    fail = false;
    const later = await combine("ops", [request("a")], run);
    // Assess
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(summary(later)).toEqual(["=7"]);
  });
});
