import { describe, expect, it } from "vitest";
import type { ObjectStore } from "../../../lambdas/ingestApi/objectStore.js";
import { payloadObjectKey } from "../../../lambdas/ingestApi/objectStore.js";
import {
  PayloadDigestMismatchError,
  withClaimCheckedPayloads,
} from "../../../lambdas/processor/withClaimCheckedPayloads.js";
import { ConfigError, InvalidMessageError, RetryableError } from "../../../lambdas/shared/errors.js";
import { rowsOf } from "../../../lambdas/sink/rows.js";
import type { Sink, SinkRecord } from "../../../lambdas/sink/Sink.js";
import { apiEvent, l1Header, record } from "../../support/events.js";

/** An object store in memory that counts reads. */
function memoryStore(objects: Record<string, string>) {
  const reads: string[] = [];
  const store: ObjectStore = {
    put: async (key, body) => {
      objects[key] = body;
      return `s3://b/${key}`;
    },
    get: async (key) => {
      reads.push(key);
      const body = objects[key];
      if (body === undefined) throw new RetryableError(`no object ${key}`);
      return body;
    },
  };
  return { store, reads };
}

/** A sink that keeps the rows it was asked to write. */
function rowSink() {
  const rows: ReturnType<typeof rowsOf> = [];
  const sink: Sink = {
    write: async (records: readonly SinkRecord[]) => {
      rows.push(...records.flatMap(rowsOf));
    },
    health: async () => ({ ok: true, detail: "in memory", ms: 0 }),
    close: async () => {},
  };
  return { sink, rows };
}

const claimChecked = (sequence: number, payload: unknown) => {
  const inline = apiEvent("big", sequence, payload);
  const key = payloadObjectKey(inline.payloadSha256);
  return { key, rec: record({ ...inline, payload: undefined, payloadRef: `s3://b/${key}` }) };
};

describe("withClaimCheckedPayloads", () => {
  it("writes claim-checked payloads whole, reading each content address once, and leaves others alone", async () => {
    // Prepare: two events with the same payload (one object), one inline, one chain header.
    const a = claimChecked(1, { blob: "x".repeat(10) });
    const b = claimChecked(2, { blob: "x".repeat(10) });
    const { store, reads } = memoryStore({ [a.key]: JSON.stringify({ blob: "x".repeat(10) }) });
    const { sink, rows } = rowSink();
    // Act
    await withClaimCheckedPayloads(sink, store).write([
      a.rec,
      b.rec,
      record(apiEvent("big", 3)),
      record(l1Header(1)),
    ]);
    // Assess
    expect(reads).toEqual([a.key]);
    expect(rows.map((r) => (r.table === "api_events" ? r.row.payload : r.table))).toEqual([
      '{"blob":"xxxxxxxxxx"}',
      '{"blob":"xxxxxxxxxx"}',
      '{"n":3}',
      "l1_head_events",
    ]);
  });

  it("refuses bytes that do not hash to the signed digest, or are not JSON, as permanent", async () => {
    // Prepare
    const tampered = claimChecked(1, { v: 1 });
    const garbled = claimChecked(2, { v: 2 });
    const { store } = memoryStore({ [tampered.key]: '{"v":666}', [garbled.key]: "{v:" });
    const { sink, rows } = rowSink();
    const decorated = withClaimCheckedPayloads(sink, store);
    // Act / Assess
    await expect(decorated.write([tampered.rec])).rejects.toBeInstanceOf(PayloadDigestMismatchError);
    await expect(decorated.write([garbled.rec])).rejects.toBeInstanceOf(PayloadDigestMismatchError);
    expect(rows).toEqual([]);
  });

  it("says a missing object may come later, a pointer to another object never will, and no store is a setting", async () => {
    // Prepare
    const missing = claimChecked(1, { v: 1 });
    const wrongRef = {
      ...missing.rec,
      event: { ...missing.rec.event, payloadRef: "s3://b/payloads/other.json" },
    };
    const { store } = memoryStore({});
    const { sink } = rowSink();
    // Act / Assess
    await expect(withClaimCheckedPayloads(sink, store).write([missing.rec])).rejects.toBeInstanceOf(
      RetryableError,
    );
    await expect(
      withClaimCheckedPayloads(sink, store).write([wrongRef as SinkRecord]),
    ).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(withClaimCheckedPayloads(sink, undefined).write([missing.rec])).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
