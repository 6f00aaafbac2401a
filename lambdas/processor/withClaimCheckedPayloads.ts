import { canonicalJson } from "../ingestApi/canonicalJson.js";
import { type ObjectStore, payloadObjectKey } from "../ingestApi/objectStore.js";
import { payloadSha256 } from "../ingestApi/receipts.js";
import { ConfigError, InvalidMessageError } from "../shared/errors.js";
import type { ApiEvent } from "../shared/events.js";
import type { Sink, SinkRecord } from "../sink/Sink.js";

/** A claim-checked payload whose bytes do not hash to the digest the API signed: never writable as it is. */
export class PayloadDigestMismatchError extends InvalidMessageError {}

/**
 * The sink, with every claim-checked API event's payload fetched from the object store before its
 * rows are built. A decorator rather than a processor stage: the processor's per-record isolation
 * (writing records one at a time when the sink refuses a batch) goes through it too, so one corrupt
 * payload is dead-lettered alone and its batch neighbours still get theirs.
 *
 * Failures say whether retrying helps: the store failing (S3 down, object not there yet) is retryable
 * (the store's own error); bytes that are not JSON or do not hash to `payloadSha256` are permanent.
 */
export function withClaimCheckedPayloads(sink: Sink, objectStore: ObjectStore | undefined): Sink {
  return {
    ...sink,
    write: async (records) => sink.write(await fetchPayloads(records, objectStore)),
  };
}

/** The records, with each claim-checked payload in place (fetched once per content address). */
export async function fetchPayloads(
  records: readonly SinkRecord[],
  objectStore: ObjectStore | undefined,
): Promise<SinkRecord[]> {
  const fetched = new Map<string, Promise<unknown>>();
  return Promise.all(
    records.map(async (record) => {
      const { event } = record;
      if (event.type !== "api_event" || event.payload !== undefined || event.payloadRef === undefined) {
        return record;
      }
      if (objectStore === undefined) {
        throw new ConfigError(
          "objectStore",
          "the processor needs an object store for claim-checked payloads",
        );
      }
      const key = payloadObjectKey(event.payloadSha256);
      let payload = fetched.get(key);
      if (payload === undefined) {
        payload = fetchOne(objectStore, key, event);
        fetched.set(key, payload);
      }
      return { ...record, event: { ...event, payload: await payload } };
    }),
  );
}

async function fetchOne(store: ObjectStore, key: string, event: ApiEvent): Promise<unknown> {
  const context = { eventId: event.eventId, payloadRef: event.payloadRef, key };
  // Content-addressed: the pointer must name the digest's object, or the message and the store disagree.
  if (!event.payloadRef?.endsWith(`/${key}`)) {
    throw new InvalidMessageError(`payloadRef ${event.payloadRef} does not name ${key}`, { context });
  }
  const text = await store.get(key);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (cause) {
    throw new PayloadDigestMismatchError(`claim-checked payload ${key} is not JSON`, { cause, context });
  }
  const digest = payloadSha256(payload);
  if (digest !== event.payloadSha256) {
    throw new PayloadDigestMismatchError(
      `claim-checked payload ${key} hashes to ${digest}, not the signed ${event.payloadSha256}`,
      { context: { ...context, digest, bytes: Buffer.byteLength(canonicalJson(payload)) } },
    );
  }
  return payload;
}
