/**
 * The SQS message attributes of the event queue and its DLQ: the ingestor labels each message, the
 * processor writes a dead letter's reason, the DLQ readers show it, the redriver drops the reason on
 * the way back and marks where the copy came from. One list, so a redriven message never keeps a
 * stale reason and an operator never reads a blank one.
 */
export const MessageAttribute = {
  /** The event's key (`{number}:{hash}-l2_header`, …), set by the ingestor on publish. */
  EventKey: "eventKey",
  /** The error's class name (`InvalidMessageError`, `UnknownEventTypeError`, …). */
  ErrorType: "errorType",
  /** The error's message, truncated to 1,000 characters. */
  ErrorMessage: "errorMessage",
  /** The source queue's message id of the dead-lettered record. */
  SourceMessageId: "sourceMessageId",
  /** The source message's MessageDeduplicationId (the observation id), when it had one. */
  SourceDedupId: "sourceDedupId",
  /** ISO-8601 time the processor dead-lettered it. */
  FailedAt: "failedAt",
  /** The event type the body claims, when it could be read (also set by the ingestor on publish). */
  EventType: "eventType",
  /** Set by the redriver on the copy it sends back: the DLQ message id it came from. */
  RedrivenFrom: "redrivenFrom",
} as const;

export type MessageAttributeName = (typeof MessageAttribute)[keyof typeof MessageAttribute];

/** The reason attributes: dropped by a redrive (the next failure sets them anew). */
export const DEAD_LETTER_REASON_ATTRIBUTES: readonly MessageAttributeName[] = [
  MessageAttribute.ErrorType,
  MessageAttribute.ErrorMessage,
  MessageAttribute.SourceMessageId,
  MessageAttribute.SourceDedupId,
  MessageAttribute.FailedAt,
];
