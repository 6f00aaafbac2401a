/**
 * Crash points of the ingest path, for tests and the chaos suite (the same contract as
 * lambdas/shared/faultPoints.ts; to be merged there once that room is free to change).
 * Production wiring passes no injector.
 */
export const IngestFaultPoint = {
  /** The sequencing transaction committed (events numbered, in the outbox); nothing is on the queue. */
  AfterSequence: "ingest.afterSequence",
  /** Messages are on the queue; the outbox records are not marked enqueued. */
  AfterSend: "ingest.afterSend",
  /** A commitment is stored; it is not anchored. */
  AfterCommit: "ingest.afterCommit",
} as const;

export type IngestFaultPointName = (typeof IngestFaultPoint)[keyof typeof IngestFaultPoint];

export interface IngestFaultInjector {
  /** Returns to go on; throws to "die" at this point (nothing after it happens). */
  hit(point: IngestFaultPointName, detail?: Readonly<Record<string, unknown>>): void;
}
