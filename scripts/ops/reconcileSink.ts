import { createHash, randomBytes } from "node:crypto";
import type { Cursor } from "../../lambdas/ingestor/cursorStore.js";
import { createDynamoCursorStore } from "../../lambdas/ingestor/cursorStore.js";
import { ingestChain } from "../../lambdas/ingestor/ingestChain.js";
import { createMemoryCursorStore } from "../../lambdas/ingestor/memoryCursorStore.js";
import type { IngestorLogger, MetricsSink } from "../../lambdas/ingestor/observability.js";
import { publishEvents } from "../../lambdas/ingestor/publisher.js";
import { TidemarkError } from "../../lambdas/shared/errors.js";
import type { PipelineEvent } from "../../lambdas/shared/events.js";
import { eventKey, observationId } from "../../lambdas/shared/keys.js";
import type { SinkRecord } from "../../lambdas/sink/Sink.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import type { ChainRereadTarget } from "./backfillRange.js";
import { findIncompleteRecords, type IncompleteRecord } from "./findIncompleteRecords.js";
import { readIdempotencyRecords, reopenCompleted } from "./idempotencyRecords.js";

export interface ReconcileSinkParameters extends ChainRereadTarget {
  /** First block to check, inclusive. */
  readonly from: number;
  /** Last block to check, inclusive. @default the last block the live ingestor published */
  readonly to?: number;
  /** The sink as SQL (DuckDB, ClickHouse, Athena): which rows it holds. */
  readonly sink: SqlQueryable;
  /** The processor's idempotency table: which observations it took as applied. */
  readonly idempotencyTable: string;
  /** The deployed ingestor's PARTITIONS, so re-driven events join their groups. @default 16 */
  readonly partitions?: number;
  /** Blocks read and checked per step (memory stays bounded by it). @default 500 */
  readonly blocksPerRange?: number;
  /** Find and report; reopen and publish nothing. */
  readonly dryRun?: boolean;
  /** Called after each step with the next block to check. */
  readonly onProgress?: (progress: { readonly next: number; readonly checked: number }) => void;
  readonly logger?: IngestorLogger;
  readonly metrics?: MetricsSink;
  readonly now?: () => number;
}

/** What the processor's idempotency table said about an incomplete record. */
export type IncompleteStatus =
  /** COMPLETED, yet rows are missing (a Firehose delivery that failed later, a lost write): reopened, re-driven. */
  | "acknowledged"
  /** No record: never applied, or its record expired (30-day TTL): re-driven. */
  | "unapplied"
  /** A worker holds a claim on it now: left alone; the next run looks again. */
  | "in-flight";

export interface ReconcileSinkReturnType {
  readonly chain: ChainRereadTarget["chain"];
  readonly from: number;
  readonly to: number;
  readonly blocks: number;
  /** Events the chain holds in the range, each looked up in the sink. */
  readonly checked: number;
  /** Records whose rows the sink does not all hold, by what the idempotency table said. */
  readonly incomplete: Readonly<Record<IncompleteStatus, number>>;
  /** Rows missing, per table. */
  readonly missingRows: Readonly<Record<string, number>>;
  /** Events published again (0 on a dry run). */
  readonly redriven: number;
  /** The first 20 incomplete records. */
  readonly examples: readonly {
    readonly eventKey: string;
    readonly observationId: string;
    readonly status: IncompleteStatus;
    readonly missing: string;
  }[];
}

/** A reconcile that cannot start or go on; the message says what to do. */
export class ReconcileError extends TidemarkError {
  readonly retryable = false;
}

const SILENT_LOGGER: IngestorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const NO_METRICS: MetricsSink = { record: () => {} };
const EXAMPLES = 20;

/**
 * Proves after the fact that what the processor acknowledged is in the sink, and makes whole what is
 * not. The range is re-read from the chain with the ingestor's own poll (ingestChain, on a cursor in
 * memory: the live cursor is never touched), so every event comes back with the observation id it was
 * published under; each event's rows (rows.ts) are looked up in the sink. An incomplete record that the
 * idempotency table holds as COMPLETED is reopened (its record deleted while still COMPLETED, so a
 * backfill's copy is no longer dropped as a duplicate), then published again with a fresh deduplication
 * id; the processor applies it as new, and the sink's keys make the rows already there stay single.
 * Reorg marks are not re-read (the chain does not hold them): `tidemark repair` re-derives those.
 */
export async function reconcileSink(p: ReconcileSinkParameters): Promise<ReconcileSinkReturnType> {
  const now = p.now ?? Date.now;
  const to = p.to ?? (await lastPublished(p));
  if (!Number.isSafeInteger(p.from) || p.from < 0 || !Number.isSafeInteger(to) || to < p.from) {
    throw new ReconcileError(`--from ${p.from} --to ${to} is not a range of block numbers (0 ≤ from ≤ to)`);
  }
  const blocksPerRange = p.blocksPerRange ?? 500;
  const salt = `reconcile:${now()}:${randomBytes(4).toString("hex")}`;
  const totals = emptyTotals(p, to);
  const memory = createMemoryCursorStore({ recentHashes: 256 });
  const owner = `reconcile:${process.pid}`;
  let cursor: Cursor = await memory.acquireLease(p.chain, owner, now());
  while ((cursor.next ?? p.from) <= to) {
    const start = cursor.next ?? p.from;
    const events: PipelineEvent[] = [];
    const result = await ingestChain({
      chain: p.chain,
      client: p.client,
      store: memory,
      owner,
      cursor,
      settings: {
        startBlock: p.from,
        maxBlocksPerRange: blocksPerRange,
        confirmations: 0,
        inboxAddresses: p.chain === "l1" ? p.inboxAddresses : [],
        ...(p.network ? { network: p.network } : {}),
        // What the live ingestor reads is what is checked: fee and preconf events too (unless switched off).
        readFees: p.readFees ?? true,
        readPreconf: p.readPreconf ?? true,
        toBlock: Math.min(to, start + blocksPerRange - 1),
      },
      // Collected, not published: only what the sink lacks goes out again.
      publish: async (read) => {
        events.push(...read.filter((e) => e.type !== "reorg"));
      },
      metrics: p.metrics ?? NO_METRICS,
      logger: p.logger ?? SILENT_LOGGER,
      now,
    });
    if ((result.cursor.next ?? start) === start) {
      throw new ReconcileError(`${p.chain} block ${start} could not be read from any provider; run it again`);
    }
    cursor = result.cursor;
    totals.blocks += result.blocks;
    await reconcileEvents(p, events, totals, salt);
    p.onProgress?.({ next: cursor.next ?? start, checked: totals.checked });
  }
  return totals;
}

/** The return value, built up step by step. */
interface Totals {
  chain: ReconcileSinkReturnType["chain"];
  from: number;
  to: number;
  blocks: number;
  checked: number;
  incomplete: Record<IncompleteStatus, number>;
  missingRows: Record<string, number>;
  redriven: number;
  examples: ReconcileSinkReturnType["examples"][number][];
}

function emptyTotals(p: ReconcileSinkParameters, to: number): Totals {
  return {
    chain: p.chain,
    from: p.from,
    to,
    blocks: 0,
    checked: 0,
    incomplete: { acknowledged: 0, unapplied: 0, "in-flight": 0 },
    missingRows: {},
    redriven: 0,
    examples: [],
  };
}

/** One step's events: find what the sink lacks, decide per record, reopen and re-drive. */
async function reconcileEvents(
  p: ReconcileSinkParameters,
  events: readonly PipelineEvent[],
  totals: Totals,
  salt: string,
): Promise<void> {
  const records: SinkRecord[] = events.map((event) => ({
    event,
    key: eventKey(event),
    observationId: observationId(event),
  }));
  totals.checked += records.length;
  const incomplete = await findIncompleteRecords(p.sink, records);
  if (incomplete.length === 0) return;
  const states = await readIdempotencyRecords(
    p.ddb,
    p.idempotencyTable,
    incomplete.map((r) => r.record.observationId),
  );
  const redrive: PipelineEvent[] = [];
  for (const found of incomplete) {
    const { observationId: id } = found.record;
    let status: IncompleteStatus =
      states.get(id)?.status === "COMPLETED"
        ? "acknowledged"
        : states.get(id)?.status === "IN_PROGRESS"
          ? "in-flight"
          : "unapplied";
    // Reopened before it is published: a crash in between leaves it unapplied, which the next run re-drives.
    if (status === "acknowledged" && !p.dryRun && !(await reopenCompleted(p.ddb, p.idempotencyTable, id)))
      status = "in-flight";
    record(totals, found, status);
    if (status !== "in-flight") redrive.push(found.record.event);
  }
  if (p.dryRun || redrive.length === 0) return;
  // A fresh id per run: SQS drops a repeat of the original id for 5 minutes, the processor does not.
  await publishEvents(p.sqs, p.queueUrl, redrive, p.partitions ?? 16, {
    dedupIdOf: (event) =>
      createHash("sha256")
        .update(`${salt}:${observationId(event)}`)
        .digest("hex"),
  });
  totals.redriven += redrive.length;
}

function record(totals: Totals, found: IncompleteRecord, status: IncompleteStatus) {
  totals.incomplete[status]++;
  for (const { table, rows } of found.missing)
    totals.missingRows[table] = (totals.missingRows[table] ?? 0) + rows;
  if (totals.examples.length < EXAMPLES) {
    totals.examples.push({
      eventKey: found.record.key,
      observationId: found.record.observationId,
      status,
      missing: found.missing.map((m) => `${m.table}×${m.rows}`).join(", "),
    });
  }
}

/** The live cursor's last published block: a reconcile never reaches past what was published. */
async function lastPublished(p: ReconcileSinkParameters): Promise<number> {
  const store = createDynamoCursorStore({
    ddb: p.ddb,
    tableName: p.stateTable,
    leaseSeconds: 60,
    recentHashes: 256,
  });
  const { next } = await store.read(p.chain);
  if (next === undefined)
    throw new ReconcileError(`the ingestor has published no ${p.chain} block yet: nothing to reconcile`);
  return next - 1;
}
