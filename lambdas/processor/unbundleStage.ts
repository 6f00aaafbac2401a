import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { PermanentError } from "../shared/errors.js";
import { BUNDLE_TYPE, decodeBundle } from "../shared/eventBundle.js";
import type { Slot } from "./batchSlot.js";
import { validateStage } from "./batchStages.js";
import type { ProcessorLogger } from "./processBatch.js";

export interface UnbundleStageReturnType {
  /** One slot per event: a plain message's, or each inner event of a bundle, in batch order. */
  readonly slots: Slot[];
  /** The batch response for SQS: the messages holding any failed event (each named once). */
  fold(response: SQSBatchResponse): SQSBatchResponse;
}

/**
 * Stage 0, unbundle, then validate (stage 1): a bundle (lambdas/shared/eventBundle.ts) becomes one
 * record per inner event, in order, in the bundle's message group, with the id `<messageId>#<i>`, so
 * every later stage treats each event as it treats a message of its own:
 * - each is claimed by its observation id, so an event already applied (from another bundling of it,
 *   a plain copy, or an earlier delivery of this bundle) is dropped as a duplicate;
 * - a poison inner event is dead-lettered alone, as a message holding only that event (its
 *   `sourceMessageId` is `<messageId>#<i>`), and its valid neighbours are applied and acknowledged;
 * - a retryable failure holds back the rest of the group (fifoRule.ts), inner events included.
 * SQS sees the bundle as one message: `fold` reports it for redelivery when any of its events failed;
 * redelivered, its applied events are duplicates and its dead-lettered one is acknowledged again.
 * A bundle whose envelope cannot be read is poison as a whole, with the reason.
 */
export function unbundleStage(
  records: readonly SQSRecord[],
  logger: ProcessorLogger,
): UnbundleStageReturnType {
  const sourceOf = new Map<string, string>();
  const refused = new Map<string, PermanentError>();
  const expanded = records.flatMap((record): SQSRecord[] => {
    const decoded = decodeBundle(record.body, { messageId: record.messageId });
    if (decoded.kind === "single") return [record];
    if (decoded.kind === "invalid") {
      refused.set(record.messageId, decoded.error);
      return [record];
    }
    const { MessageDeduplicationId: _bundleDedupId, ...attributes } = record.attributes;
    return decoded.bodies.map((body, i) => {
      const messageId = `${record.messageId}#${i}`;
      sourceOf.set(messageId, record.messageId);
      return {
        ...record,
        messageId,
        body,
        messageAttributes: {},
        // The bundle's group: its events keep their order behind any failure in it.
        attributes: { ...attributes, MessageGroupId: record.attributes.MessageGroupId ?? record.messageId },
      };
    });
  });
  if (sourceOf.size > 0) {
    logger.debug("bundles unpacked", { messages: records.length, events: expanded.length });
  }
  const slots = validateStage(expanded, logger);
  for (const slot of slots) {
    const error = refused.get(slot.record.messageId);
    if (error !== undefined) slot.state = { kind: "poisoned", poison: { error, eventType: BUNDLE_TYPE } };
  }
  return {
    slots,
    fold: (response) => {
      const ids = response.batchItemFailures.map((f) => sourceOf.get(f.itemIdentifier) ?? f.itemIdentifier);
      return { batchItemFailures: [...new Set(ids)].map((itemIdentifier) => ({ itemIdentifier })) };
    },
  };
}
