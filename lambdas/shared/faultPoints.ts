/**
 * Named crash points at the step boundaries of the ingestor and the processor, for the chaos suite.
 *
 * Off (the default, and always in Lambda: nothing installs a hook there) a point costs one branch on a
 * module-level `undefined`. A test or the chaos harness installs a hook that decides, per hit, whether
 * the process "dies" there: by throwing `InjectedCrash` (in-process harness) or by `process.exit`
 * (a child process). Either way the work after the point never happens and nothing is acknowledged.
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

/** Decides at each hit; throws (usually `InjectedCrash`) or exits to crash, returns to go on. */
export type FaultHook = (point: FaultPointName, detail: Readonly<Record<string, unknown>>) => void;

/**
 * The runtime dying at a named point. Deliberately not a TidemarkError: the pipeline must never
 * classify or handle it (a dead process handles nothing), so catch blocks that see one rethrow it.
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

let hook: FaultHook | undefined;

/** Install a hook (replacing any); returns a function that removes it. */
export function installFaultHook(next: FaultHook): () => void {
  hook = next;
  return () => {
    if (hook === next) hook = undefined;
  };
}

/** A step boundary. Free when no hook is installed. */
export function faultPoint(
  point: FaultPointName,
  detail: Readonly<Record<string, unknown>> = NO_DETAIL,
): void {
  if (hook !== undefined) hook(point, detail);
}

const NO_DETAIL: Readonly<Record<string, unknown>> = Object.freeze({});

/** A hook for a child process: exit with `code` at the `hit`-th hit (1-based) of `point`, as a killed runtime would. */
export function exitAtHit(point: FaultPointName, hit = 1, code = 137): FaultHook {
  let hits = 0;
  return (p) => {
    if (p === point && ++hits === hit) process.exit(code);
  };
}
