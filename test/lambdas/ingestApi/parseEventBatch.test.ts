import { describe, expect, it } from "vitest";
import { LimitExceededError } from "../../../lambdas/api/errors.js";
import { resolveIngestSettings } from "../../../lambdas/ingestApi/ingestSettings.js";
import { parseEventBatch } from "../../../lambdas/ingestApi/parseEventBatch.js";

const settings = resolveIngestSettings({ maxBodyBytes: 4096, maxEventsPerBatch: 3, maxPayloadBytes: 100 });
const ev = (over: Record<string, unknown> = {}) => ({
  stream: "s",
  type: "t",
  clientEventId: "c",
  payload: {},
  ...over,
});

describe("parseEventBatch", () => {
  it("refuses the whole request for a body, JSON or batch problem, naming the limit or field", () => {
    expect(() => parseEventBatch("x".repeat(4097), settings)).toThrow(/maxBodyBytes = 4096/);
    expect(() => parseEventBatch("{not json", settings)).toThrow(/not valid JSON/);
    expect(() => parseEventBatch('{"evts":[]}', settings)).toThrow(/"events" array/);
    expect(() => parseEventBatch('{"events":[]}', settings)).toThrow(/must not be empty/);
    try {
      parseEventBatch(JSON.stringify({ events: [ev(), ev(), ev(), ev()] }), settings);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LimitExceededError);
      expect((error as LimitExceededError).status).toBe(413);
      expect((error as LimitExceededError).field).toBe("maxEventsPerBatch");
    }
  });

  it("rejects only the bad event, naming its field", () => {
    const parsed = parseEventBatch(
      JSON.stringify({
        events: [ev(), ev({ clientEventId: undefined }), ev({ payload: { x: "y".repeat(200) } })],
      }),
      settings,
    );
    expect(parsed[0]?.ok).toBe(true);
    expect(parsed[1]).toMatchObject({ ok: false, error: { field: "events[1].clientEventId", status: 400 } });
    expect(parsed[2]).toMatchObject({
      ok: false,
      stream: "s",
      error: { field: "maxPayloadBytes", status: 413 },
    });
    expect(parsed[2]?.ok === false && parsed[2].error.message).toMatch(/events\[2\]\.payload/);
  });

  it("defaults to the sequencer runbook's limits and refuses a bad setting by its variable", () => {
    const defaults = resolveIngestSettings();
    expect([defaults.maxBodyBytes, defaults.maxEventsPerBatch, defaults.maxPayloadBytes]).toEqual([
      10485760, 1000, 1048576,
    ]);
    expect(() => resolveIngestSettings({}, { MAX_EVENTS_PER_BATCH: "lots" })).toThrow(/MAX_EVENTS_PER_BATCH/);
    expect(() => resolveIngestSettings({}, { SCHEMA_VALIDATION_MODE: "strict" })).toThrow(
      /SCHEMA_VALIDATION_MODE/,
    );
  });
});
