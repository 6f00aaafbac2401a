import type { SendMessageBatchEntry } from "../shared/awsSqs.js";
import { BUNDLE_TYPE, type EncodedEvent, encodeBundle, packBundles } from "../shared/eventBundle.js";
import { MAX_MESSAGE_BYTES, type PipelineEvent } from "../shared/events.js";
import { eventKey, messageGroupId, observationId } from "../shared/keys.js";
import { MessageAttribute } from "../shared/messageAttributes.js";
import type { LaneEntry } from "./groupLanes.js";

/** One message to send: a single event, or a bundle of one group's consecutive events. */
export interface PublishEntry extends LaneEntry {
  readonly entry: SendMessageBatchEntry;
  /** Events the message carries. */
  readonly events: number;
}

/**
 * A bundled message's size, attributes included (PUBLISH_BUNDLE_BYTES' default): the processor's body
 * cap, and SQS's billing unit (a 64 KiB chunk is one request), so each bundle is sent, received and
 * deleted as one billed request. 0 turns bundling off (one event per message).
 */
export const DEFAULT_BUNDLE_BYTES = MAX_MESSAGE_BYTES;
/** The smallest bundle limit accepted: below it a bundle barely holds two headers. */
export const MIN_BUNDLE_BYTES = 4 * 1024;
/** Bytes a bundled message keeps for its two attributes (eventType `bundle`, eventKey of its first event). */
const ATTRIBUTE_ROOM = 1024;

interface Encoded extends EncodedEvent {
  readonly index: number;
  readonly group: string;
  readonly type: string;
  readonly key: string;
}

/**
 * The messages for `events`, in publish order: with `bundleBytes` > 0, each message group's events (in
 * order) are packed into bundles of at most `bundleBytes` (body and attributes); a run of one stays a
 * plain message, exactly as without bundling. A group's messages keep its events' order; `index` is the
 * message's position and `Id` (unique within any batch) maps SQS's answer back to it. Each event's
 * deduplication id is its observation id unless `dedupIdOf` says otherwise (a re-drive's fresh ids).
 */
export function toPublishEntries(
  events: readonly PipelineEvent[],
  partitions: number,
  bundleBytes: number,
  dedupIdOf: (event: PipelineEvent) => string = observationId,
): PublishEntry[] {
  if (bundleBytes !== 0 && !(Number.isInteger(bundleBytes) && bundleBytes >= MIN_BUNDLE_BYTES)) {
    throw new RangeError(`bundleBytes must be 0 or an integer ≥ ${MIN_BUNDLE_BYTES}, got ${bundleBytes}`);
  }
  const encoded = events.map((event, index) => encode(event, index, partitions, dedupIdOf));
  const runs: Encoded[][] =
    bundleBytes === 0
      ? encoded.map((e) => [e])
      : [...byGroup(encoded).values()].flatMap((group) =>
          packBundles(group, { maxBytes: Math.min(bundleBytes, MAX_MESSAGE_BYTES) - ATTRIBUTE_ROOM }),
        );
  // Each run's first event decides its place: a group's runs are consecutive, so its order holds.
  runs.sort((a, b) => (a[0]?.index ?? 0) - (b[0]?.index ?? 0));
  return runs.map((run, index) => toEntry(run, index));
}

function encode(
  event: PipelineEvent,
  index: number,
  partitions: number,
  dedupIdOf: (event: PipelineEvent) => string,
): Encoded {
  const json = JSON.stringify(event);
  return {
    index,
    json,
    bytes: Buffer.byteLength(json),
    dedupId: dedupIdOf(event),
    group: messageGroupId(event, partitions),
    type: event.type,
    key: eventKey(event),
  };
}

function byGroup(encoded: readonly Encoded[]): Map<string, Encoded[]> {
  const groups = new Map<string, Encoded[]>();
  for (const e of encoded) {
    const group = groups.get(e.group);
    if (group) group.push(e);
    else groups.set(e.group, [e]);
  }
  return groups;
}

function toEntry(run: readonly Encoded[], index: number): PublishEntry {
  const [first] = run;
  if (first === undefined) throw new RangeError("an entry carries at least one event");
  const bundle = run.length > 1 ? encodeBundle(run) : undefined;
  const type = bundle ? BUNDLE_TYPE : first.type;
  const key = bundle ? `${first.key} (+${run.length - 1})` : first.key;
  const entry: SendMessageBatchEntry = {
    Id: String(index),
    MessageBody: bundle ? bundle.body : first.json,
    MessageDeduplicationId: bundle ? bundle.dedupId : first.dedupId,
    MessageGroupId: first.group,
    MessageAttributes: {
      [MessageAttribute.EventType]: { DataType: "String", StringValue: type },
      [MessageAttribute.EventKey]: { DataType: "String", StringValue: key },
    },
  };
  // SQS counts the body plus each attribute's name, type and value toward the size limits.
  const bytes =
    (bundle ? bundle.bytes : first.bytes) +
    Buffer.byteLength(`${MessageAttribute.EventType}String${type}`) +
    Buffer.byteLength(`${MessageAttribute.EventKey}String${key}`);
  return { index, group: first.group, entry, bytes, events: run.length };
}
