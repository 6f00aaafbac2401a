import { createHash } from "node:crypto";
import { chunk } from "./chunk.js";
import { InvalidBundleError, MessageTooLargeError } from "./errors.js";
import { MAX_MESSAGE_BYTES } from "./events.js";

/**
 * A bundle: one SQS message carrying an ordered run of events of one message group,
 * `{"type":"bundle","v":1,"events":[<event>,<event>,…]}`. SQS bills, signs, stores and delivers per
 * message (and per 64 KiB chunk of one), while a header event is ~500 bytes: packing a group's events
 * into one message cuts the requests per event by the bundle's size. Each inner event keeps its own
 * observation id, which the processor claims one by one, so a duplicate is dropped whatever bundle it
 * came in.
 */
export const BUNDLE_TYPE = "bundle";
export const BUNDLE_VERSION = 1;

const PREFIX = `{"type":"${BUNDLE_TYPE}","v":${BUNDLE_VERSION},"events":[`;
const SUFFIX = "]}";
/** How a body says it is a bundle: the encoder writes `type` first; whitespace is tolerated. */
const BUNDLE_HEAD = /^\s*\{\s*"type"\s*:\s*"bundle"\s*[,}]/;

/**
 * Events per bundle, at most: bytes bound a bundle first (about 110 L1 headers fit in 64 KiB); this
 * bounds the processor's work per record when events are small.
 */
export const DEFAULT_MAX_BUNDLE_EVENTS = 200;

/** One event ready to send: its JSON, its UTF-8 size and its observation id (its own dedup id). */
export interface EncodedEvent {
  readonly json: string;
  readonly bytes: number;
  readonly dedupId: string;
}

export interface EventBundle {
  readonly body: string;
  /** UTF-8 bytes of `body`. */
  readonly bytes: number;
  /** Derived from the content: SHA-256 over the inner events' observation ids, in order (64 hex). */
  readonly dedupId: string;
  /** The inner events, in order. */
  readonly events: number;
}

export interface PackBundlesLimits {
  /** A bundle body's UTF-8 bytes, at most (the processor refuses bodies over MAX_MESSAGE_BYTES). */
  readonly maxBytes: number;
  /** @default DEFAULT_MAX_BUNDLE_EVENTS */
  readonly maxEvents?: number;
}

/** The fixed bytes of a bundle body around its events. */
export const BUNDLE_OVERHEAD_BYTES = Buffer.byteLength(PREFIX) + Buffer.byteLength(SUFFIX);

/**
 * Split one message group's events, in order, into consecutive runs that each fit one bundle
 * (split before the limit: the body's bytes are counted, one comma between events included). An event
 * that does not fit a bundle with others makes a run of one: the caller sends it as a plain message.
 */
export function packBundles<E extends EncodedEvent>(events: readonly E[], limits: PackBundlesLimits): E[][] {
  if (!(limits.maxBytes > BUNDLE_OVERHEAD_BYTES)) {
    throw new RangeError(`maxBytes must be above ${BUNDLE_OVERHEAD_BYTES}, got ${limits.maxBytes}`);
  }
  // Each event is counted with the comma that precedes it; the first has none, so one byte is spare.
  return chunk(events, {
    maxItems: limits.maxEvents ?? DEFAULT_MAX_BUNDLE_EVENTS,
    maxBytes: limits.maxBytes - BUNDLE_OVERHEAD_BYTES + 1,
    sizeOf: (e) => e.bytes + 1,
  });
}

/** The bundle of `events` (in order); its dedup id names exactly these observations in this order. */
export function encodeBundle(events: readonly EncodedEvent[]): EventBundle {
  if (events.length === 0) throw new RangeError("a bundle holds at least one event");
  const body = PREFIX + events.map((e) => e.json).join(",") + SUFFIX;
  const hash = createHash("sha256");
  for (const e of events) hash.update(e.dedupId).update("\n");
  return { body, bytes: Buffer.byteLength(body), dedupId: hash.digest("hex"), events: events.length };
}

export type DecodeBundleReturnType =
  /** Not a bundle: the body is one event (or not an event at all; validation says which). */
  | { readonly kind: "single" }
  /** The inner events' bodies, in order, each to be validated as a message of its own. */
  | { readonly kind: "bundle"; readonly bodies: readonly string[] }
  /** A bundle that cannot be read: the whole message is poison, with this reason. */
  | { readonly kind: "invalid"; readonly error: InvalidBundleError | MessageTooLargeError };

/** The event bodies one message carries: a bundle's inner events, else the body itself (one event, or poison). */
export function eventBodiesOf(body: string): readonly string[] {
  const decoded = decodeBundle(body);
  return decoded.kind === "bundle" ? decoded.bodies : [body];
}

/** Read a message body: one event, a bundle's inner events, or why the bundle cannot be read. Pure. */
export function decodeBundle(body: string, context: Record<string, unknown> = {}): DecodeBundleReturnType {
  if (!BUNDLE_HEAD.test(body)) return { kind: "single" };
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_MESSAGE_BYTES) {
    const message = `bundle is ${bytes} bytes, above the ${MAX_MESSAGE_BYTES}-byte limit`;
    return { kind: "invalid", error: new MessageTooLargeError(message, { context: { ...context, bytes } }) };
  }
  const invalid = (problem: string, cause?: unknown) => ({
    kind: "invalid" as const,
    error: new InvalidBundleError(`bundle ${problem}`, { cause, context }),
  });
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    return invalid("is not JSON", cause);
  }
  const { v, events } = json as { v?: unknown; events?: unknown };
  if (v !== BUNDLE_VERSION) return invalid(`version ${JSON.stringify(v)} is not ${BUNDLE_VERSION}`);
  if (!Array.isArray(events) || events.length === 0)
    return invalid("has no events array with an event in it");
  // Re-serialised one by one: each inner event is validated, claimed and (if poison) dead-lettered alone.
  return { kind: "bundle", bodies: events.map((event) => JSON.stringify(event)) };
}
