/**
 * Named crash points at the step boundaries of the ingestor and the processor, for the chaos suite.
 *
 * The ingestor and the processor take an optional `FaultInjector` (the chaos suite's); at each point it
 * decides whether the runtime "dies" there. The work after the point never happens and nothing is
 * acknowledged.
 */
export const FaultPoint = {
  /** Ingestor: the range (headers, logs) is read; nothing is published yet. */
  IngestorAfterFetch: "ingestor.afterFetch",
  /** Ingestor: some SendMessageBatch calls of a publish have returned, the rest are not sent. */
  IngestorMidPublish: "ingestor.midPublish",
  /** Ingestor: the whole range is published; the cursor has not moved. */
  IngestorAfterPublish: "ingestor.afterPublish",
  /** Processor: the batch's claims are written; nothing is applied. */
  ProcessorAfterClaim: "processor.afterClaim",
  /** Processor: rows are in the sink; lifecycle and completions are not written. */
  ProcessorAfterSink: "processor.afterSink",
  /** Processor: completions are written; SQS has not deleted the messages (the response is not returned). */
  ProcessorAfterComplete: "processor.afterComplete",
} as const;

export type FaultPointName = (typeof FaultPoint)[keyof typeof FaultPoint];

export const FAULT_POINTS: readonly FaultPointName[] = Object.values(FaultPoint);

/**
 * The chaos suite's fault injector, passed to the ingestor and the processor as a dependency.
 * Production wiring passes none, so a step boundary there is one optional call on `undefined`.
 */
export interface FaultInjector {
  /** A step boundary: returns to go on; throws (the injector's own crash) to die there. */
  hit(point: FaultPointName, detail?: Readonly<Record<string, unknown>>): void;
  /** True for what `hit` throws: a dead runtime handles nothing, so a catch block that sees one rethrows it. */
  isCrash(error: unknown): boolean;
}

/**
 * The runtime dying at a named point. Deliberately not a TidemarkError: the pipeline must never
 * classify or handle it (a dead process handles nothing).
 */
export class InjectedCrash extends Error {
  constructor(
    readonly point: FaultPointName,
    readonly detail: Readonly<Record<string, unknown>> = {},
  ) {
    super(`injected crash at ${point}`);
    this.name = "InjectedCrash";
  }
}

export const isInjectedCrash = (error: unknown): error is InjectedCrash => error instanceof InjectedCrash;

/** An injector that throws `InjectedCrash` whenever `decide` says the runtime dies at this hit. */
export function createFaultInjector(
  decide: (point: FaultPointName, detail: Readonly<Record<string, unknown>>) => boolean,
): FaultInjector {
  return {
    hit(point, detail = {}) {
      if (decide(point, detail)) throw new InjectedCrash(point, detail);
    },
    isCrash: isInjectedCrash,
  };
}
