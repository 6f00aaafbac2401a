import { describe, expect, it } from "vitest";
import { type IngestApiCell, ingestApiAccounting, meetsGoals, sustains } from "../../bench/ingestApiBench.js";
import { accountingChecks } from "../../bench/run.js";

/** A cell where everything adds up: 1,000 new events, 50 resends, all received once. */
const cell = (over: Partial<IngestApiCell> = {}): IngestApiCell => ({
  label: "sustained",
  batchSize: 10,
  offeredPerSecond: 500,
  seconds: 2,
  requests: 105,
  retriedRequests: 0,
  uniqueSent: 1000,
  duplicatesSent: 50,
  accepted: 1000,
  idempotentHits: 50,
  rejected: 0,
  acceptedPerSecond: 500,
  latencyMs: { p50: 5, p95: 20, p99: 40 },
  queueLag: { max: 30, p95: 10 },
  received: 1000,
  receivedTwice: 0,
  dlq: 0,
  lost: 0,
  behind: 0,
  dynamoPerEvent: { requests: 0.1, byCommand: { TransactWriteItems: 0.02 }, writeUnits: 4.1 },
  ...over,
});

describe("ingest-api bench accounting", () => {
  it("passes a cell where every event is accepted once, every resend is a hit and every message arrives once", () => {
    // Act
    const checks = ingestApiAccounting(cell());
    // Assess
    expect(checks.map((c) => c.ok)).toEqual([true, true]);
  });

  it.each([
    ["an event not accepted", { accepted: 999, lost: 1 }, 0],
    ["a resend numbered as new", { accepted: 1001, idempotentHits: 49 }, 0],
    ["a rejection", { rejected: 1 }, 0],
    ["a message received twice", { receivedTwice: 1 }, 1],
    ["a message never received", { received: 999, lost: 1 }, 1],
    ["a dead-lettered message", { dlq: 1 }, 1],
  ])("fails on %s", (_name, over, failing) => {
    // Act
    const checks = ingestApiAccounting(cell(over));
    // Assess
    expect(checks[failing]?.ok).toBe(false);
  });

  it("is part of the bench's accounting and its goals", () => {
    // Act
    const checks = accountingChecks({
      "ingest-api": {
        cells: [cell(), cell({ dlq: 1 })],
        ceilingPerSecond: 1000,
        goals: [],
        table: "",
        note: "",
      },
    });
    // Assess
    expect(checks.filter((c) => c.part === "ingest-api").map((c) => c.ok)).toEqual([true, true, true, false]);
    expect(meetsGoals(cell())).toBe(true);
    expect(meetsGoals(cell({ latencyMs: { p50: 50, p95: 101, p99: 200 } }))).toBe(false);
    expect(meetsGoals(cell({ acceptedPerSecond: 400 }))).toBe(false);
    expect(meetsGoals(cell({ queueLag: { max: 1001, p95: 900 } }))).toBe(false);
    // The ceiling search asks only that the rate is carried: a slow p95 still sustains it.
    expect(sustains(cell({ latencyMs: { p50: 50, p95: 400, p99: 900 } }))).toBe(true);
    expect(sustains(cell({ acceptedPerSecond: 400 }))).toBe(false);
    expect(sustains(cell({ lost: 1 }))).toBe(false);
  });
});
