/**
 * The per-event request counts `tidemark cost` prices, read from bench/results.json (written by
 * `npm run bench`). A figure the file lacks is an error naming it: a cost is never guessed.
 */

/** A figure `tidemark cost` needs is not in the bench results. */
export class MissingBenchFigureError extends Error {
  override readonly name = "MissingBenchFigureError";
  constructor(
    readonly figure: string,
    readonly file: string,
  ) {
    super(`${file} has no ${figure}: run \`npm run bench\` (the ingest and processor parts) to measure it`);
  }
}

export interface BenchFigures {
  /** SQS messages per queued event while following the chain head (tidemark-realtime ingest cell). */
  readonly messagesPerEvent: number;
  /** Processor, new records, one instance: median wall time of one invocation (a batch of up to 10). */
  readonly processorInvocationMs: number;
  /** DynamoDB write request units per new record (idempotency claim + complete, state). */
  readonly writeUnitsPerRecord: number;
  /** DynamoDB read request units per new record. */
  readonly readUnitsPerRecord: number;
  /** When the bench ran. */
  readonly generatedAt: string;
}

type Json = Record<string, unknown>;

const REALTIME_CELL = 'parts.ingest.cells[variant="tidemark-realtime"]';
const PROCESSOR_CELL = 'parts.processor.cells[variant="tidemark", phase="new", concurrency=1]';

/** Pick the figures out of a parsed results.json; `file` only names it in errors. */
export function benchFiguresOf(results: unknown, file: string): BenchFigures {
  const missing = (figure: string) => new MissingBenchFigureError(figure, file);
  const root = asObject(results);
  const cells = (part: string): Json[] => {
    const list = asObject(asObject(root?.parts)?.[part])?.cells;
    return Array.isArray(list) ? list.map(asObject).filter((c): c is Json => c !== undefined) : [];
  };

  const realtime = cells("ingest").find((c) => c.variant === "tidemark-realtime");
  if (!realtime) throw missing(REALTIME_CELL);
  const samples = Array.isArray(realtime.samples) ? realtime.samples.map(asObject) : [];
  let queued = 0;
  let messages = 0;
  for (const produced of samples.map((s) => asObject(s?.produced))) {
    if (typeof produced?.queued !== "number" || typeof produced.messages !== "number") continue;
    queued += produced.queued;
    messages += produced.messages;
  }
  if (queued === 0) throw missing(`${REALTIME_CELL}.samples[].produced.queued and .messages`);

  const processor = cells("processor").find(
    (c) => c.variant === "tidemark" && c.phase === "new" && c.concurrency === 1,
  );
  if (!processor) throw missing(PROCESSOR_CELL);
  const median = (name: string): number => {
    const value = asObject(processor[name])?.median;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw missing(`${PROCESSOR_CELL}.${name}.median`);
    return value;
  };
  return {
    messagesPerEvent: messages / queued,
    processorInvocationMs: median("batchLatencyP50Ms"),
    writeUnitsPerRecord: median("writeUnitsPerRecord"),
    readUnitsPerRecord: median("readUnitsPerRecord"),
    generatedAt: typeof root?.generatedAt === "string" ? root.generatedAt : "unknown",
  };
}

const asObject = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
