import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { API_EVENT_TYPE, API_EVENT_VERSION } from "./apiEventMessage.js";
import { ingestKeys } from "./ingestTable.js";
import type { SignedReceipt } from "./receipts.js";

/**
 * One accepted event as the `ev#<stream>` item holds it: the durable record of the acceptance, what the
 * outbox sends, and the source of receipts, reads and commitments.
 */
export interface OutboxRecord {
  readonly stream: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly clientEventId: string;
  /** Canonical JSON of the payload when inline; absent when claim-checked. */
  readonly payloadJson?: string;
  readonly payloadRef?: string;
  readonly payloadBytes: number;
  readonly receipt: SignedReceipt;
  /** Violations found in `warn` mode, recorded with the event. */
  readonly schemaViolations: readonly string[];
}

/**
 * The outbox entry of one sequencing transaction: events `from`…`to` of `stream` are not known to be on
 * the queue until it is deleted. Written in the transaction that numbers them, so no accepted event is
 * ever outside both the queue and the outbox.
 */
export interface OutboxChunk {
  readonly stream: string;
  readonly from: number;
  readonly to: number;
  /** When the transaction ran (ms): the sweeper leaves younger entries to their request. */
  readonly atMs: number;
}

export function toOutboxChunkItem(c: OutboxChunk): Record<string, AttributeValue> {
  const key = ingestKeys.outbox(c.stream, c.from, c.atMs);
  return {
    pk: { S: key.pk },
    sk: { S: key.sk },
    stream: { S: c.stream },
    from: { N: String(c.from) },
    to: { N: String(c.to) },
    at: { N: String(c.atMs) },
  };
}

export function fromOutboxChunkItem(item: Record<string, AttributeValue>): OutboxChunk {
  return {
    stream: item.stream?.S ?? "",
    from: Number(item.from?.N ?? "0"),
    to: Number(item.to?.N ?? "0"),
    atMs: Number(item.at?.N ?? "0"),
  };
}

export function toOutboxItem(r: OutboxRecord): Record<string, AttributeValue> {
  const key = ingestKeys.event(r.stream, r.sequence);
  return {
    pk: { S: key.pk },
    sk: { S: key.sk },
    stream: { S: r.stream },
    sequence: { N: String(r.sequence) },
    eventId: { S: r.eventId },
    eventType: { S: r.eventType },
    clientEventId: { S: r.clientEventId },
    ...(r.payloadJson === undefined ? {} : { payload: { S: r.payloadJson } }),
    ...(r.payloadRef === undefined ? {} : { payloadRef: { S: r.payloadRef } }),
    payloadBytes: { N: String(r.payloadBytes) },
    payloadSha256: { S: r.receipt.payloadSha256 },
    acceptedAt: { S: r.receipt.acceptedAt },
    receiptSignature: { S: r.receipt.signature },
    receiptPublicKey: { S: r.receipt.publicKey },
    ...(r.schemaViolations.length > 0 ? { schemaViolations: { S: JSON.stringify(r.schemaViolations) } } : {}),
  };
}

export function fromOutboxItem(item: Record<string, AttributeValue>): OutboxRecord {
  const stream = item.stream?.S ?? "";
  const sequence = Number(item.sequence?.N ?? "0");
  const eventId = item.eventId?.S ?? "";
  return {
    stream,
    sequence,
    eventId,
    eventType: item.eventType?.S ?? "",
    clientEventId: item.clientEventId?.S ?? "",
    ...(item.payload?.S === undefined ? {} : { payloadJson: item.payload.S }),
    ...(item.payloadRef?.S === undefined ? {} : { payloadRef: item.payloadRef.S }),
    payloadBytes: Number(item.payloadBytes?.N ?? "0"),
    receipt: {
      stream,
      sequence,
      eventId,
      payloadSha256: item.payloadSha256?.S ?? "",
      acceptedAt: item.acceptedAt?.S ?? "",
      alg: "ed25519",
      publicKey: item.receiptPublicKey?.S ?? "",
      signature: item.receiptSignature?.S ?? "",
    },
    schemaViolations: item.schemaViolations?.S ? (JSON.parse(item.schemaViolations.S) as string[]) : [],
  };
}

/** The queue message body (ApiEventMessage); the inline payload is spliced in as its canonical JSON. */
export function toMessageBody(r: OutboxRecord): string {
  const head = JSON.stringify({
    v: API_EVENT_VERSION,
    type: API_EVENT_TYPE,
    stream: r.stream,
    sequence: r.sequence,
    eventId: r.eventId,
    eventType: r.eventType,
    clientEventId: r.clientEventId,
    acceptedAt: r.receipt.acceptedAt,
    payloadSha256: r.receipt.payloadSha256,
    ...(r.payloadRef === undefined ? {} : { payloadRef: r.payloadRef }),
  });
  return r.payloadJson === undefined ? head : `${head.slice(0, -1)},"payload":${r.payloadJson}}`;
}
