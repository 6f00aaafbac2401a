import { readFile, rename, writeFile } from "node:fs/promises";
import {
  type TableCheck,
  type VerifyParameters,
  type VerifyReport,
  verifyAgainstChain,
} from "../pipeline/verifyAgainstChain.js";

type Range = { readonly from: number; readonly to: number };

export interface VerifyInWindowsParameters extends VerifyParameters {
  /** Blocks per chain per window: each window is one bounded set of RPC reads and sink queries. @default 2_000 */
  readonly windowBlocks?: number;
  /** Examples kept per table and kind of finding; counts are always exact. @default 50 */
  readonly examples?: number;
  /** Called after each window with the blocks checked so far and the total (both chains). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Where progress is kept between runs: a run with the same ranges picks up after the last window done. */
  readonly checkpointFile?: string;
  /** The check of one window. @default verifyAgainstChain */
  readonly verifyWindow?: (p: VerifyParameters) => Promise<VerifyReport>;
}

export const VERIFY_WINDOW_DEFAULTS = { windowBlocks: 2_000, examples: 50 } as const;

/** What a checkpoint holds: the ranges it is for, the windows done, and the report so far. */
interface Checkpoint {
  readonly l1Range: Range;
  readonly l2Range: Range;
  readonly windowBlocks: number;
  readonly windowsDone: number;
  readonly report: VerifyReport;
}

/**
 * verifyAgainstChain over any length of chain in bounded memory: the ranges are cut into windows
 * of `windowBlocks` per chain (window i covers the i-th slice of both), each checked on its own (one
 * provider-sized log read, batched header reads, sink queries bounded by block number), and the
 * reports folded into one whose lists keep `examples` entries and whose `counts` stay exact. With a
 * checkpoint file, an interrupted run resumes after its last finished window.
 */
export async function verifyInWindows(p: VerifyInWindowsParameters): Promise<VerifyReport> {
  const size = p.windowBlocks ?? VERIFY_WINDOW_DEFAULTS.windowBlocks;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`windowBlocks must be an integer >= 1, got ${size}`);
  const keep = p.examples ?? VERIFY_WINDOW_DEFAULTS.examples;
  const verify = p.verifyWindow ?? verifyAgainstChain;
  const length = (r: Range) => Math.max(0, r.to - r.from + 1);
  const windows = Math.max(1, Math.ceil(Math.max(length(p.l1Range), length(p.l2Range)) / size));
  const total = length(p.l1Range) + length(p.l2Range);
  const slice = (r: Range, i: number): Range => {
    const from = r.from + i * size;
    return { from, to: Math.min(r.to, from + size - 1) };
  };
  const resumed = await readCheckpoint(p, size);
  let report = resumed?.report;
  for (let i = resumed?.windowsDone ?? 0; i < windows; i++) {
    const window = await verify({ ...p, l1Range: slice(p.l1Range, i), l2Range: slice(p.l2Range, i) });
    report = report ? mergeReports(report, window, keep) : mergeReports(emptyReport(), window, keep);
    if (p.checkpointFile)
      await writeCheckpoint(p.checkpointFile, {
        ...ranges(p),
        windowBlocks: size,
        windowsDone: i + 1,
        report,
      });
    const done = (r: Range) => Math.min(length(r), (i + 1) * size);
    p.onProgress?.(done(p.l1Range) + done(p.l2Range), total);
  }
  return report ?? emptyReport();
}

/** How many of a table's rows are missing, duplicated or wrongly canonical, however many examples were kept. */
export function countOf(t: TableCheck, kind: "missing" | "unexpected" | "duplicates"): number {
  return t.counts?.[kind] ?? t[kind].length;
}

/** How many off-chain blocks are not marked orphaned, however many examples were kept. */
export function unmarkedCountOf(o: VerifyReport["orphans"]["l1"]): number {
  return o.unmarkedCount ?? o.unmarked.length;
}

function emptyReport(): VerifyReport {
  const none = { offChain: 0, marked: 0, unmarked: [], unmarkedCount: 0 };
  return { ok: true, tables: [], orphans: { l1: none, l2: none } };
}

function mergeReports(a: VerifyReport, b: VerifyReport, keep: number): VerifyReport {
  const tables = new Map(a.tables.map((t) => [t.table, t]));
  for (const t of b.tables) {
    const prev = tables.get(t.table);
    const merged = (kind: "missing" | "unexpected" | "duplicates") => [
      ...(prev?.[kind] ?? []),
      ...t[kind].slice(0, Math.max(0, keep - (prev?.[kind].length ?? 0))),
    ];
    const count = (kind: "missing" | "unexpected" | "duplicates") =>
      (prev ? countOf(prev, kind) : 0) + countOf(t, kind);
    tables.set(t.table, {
      table: t.table,
      sinkRows: (prev?.sinkRows ?? 0) + t.sinkRows,
      expected: (prev?.expected ?? 0) + t.expected,
      missing: merged("missing"),
      unexpected: merged("unexpected"),
      duplicates: merged("duplicates"),
      counts: { missing: count("missing"), unexpected: count("unexpected"), duplicates: count("duplicates") },
    });
  }
  const orphans = (c: "l1" | "l2") => ({
    offChain: a.orphans[c].offChain + b.orphans[c].offChain,
    marked: a.orphans[c].marked + b.orphans[c].marked,
    unmarked: [...a.orphans[c].unmarked, ...b.orphans[c].unmarked].slice(0, keep),
    unmarkedCount: unmarkedCountOf(a.orphans[c]) + unmarkedCountOf(b.orphans[c]),
  });
  return {
    ok: a.ok && b.ok,
    tables: [...tables.values()],
    orphans: { l1: orphans("l1"), l2: orphans("l2") },
  };
}

function ranges(p: VerifyParameters) {
  return { l1Range: { ...p.l1Range }, l2Range: { ...p.l2Range } };
}

async function readCheckpoint(p: VerifyInWindowsParameters, size: number): Promise<Checkpoint | undefined> {
  if (!p.checkpointFile) return undefined;
  let saved: Checkpoint;
  try {
    saved = JSON.parse(await readFile(p.checkpointFile, "utf8")) as Checkpoint;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(
      `checkpoint ${p.checkpointFile} is unreadable (${(error as Error).message}): remove it to start over`,
    );
  }
  const same =
    JSON.stringify(ranges(p)) === JSON.stringify({ l1Range: saved.l1Range, l2Range: saved.l2Range }) &&
    saved.windowBlocks === size;
  if (!same)
    throw new Error(
      `checkpoint ${p.checkpointFile} is for L1 ${saved.l1Range.from}..${saved.l1Range.to}, L2 ${saved.l2Range.from}..${saved.l2Range.to}, window ${saved.windowBlocks}: run with those, or remove it to start over`,
    );
  return saved;
}

async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  // Write then rename: an interrupted write never leaves half a checkpoint.
  await writeFile(`${file}.tmp`, JSON.stringify(checkpoint));
  await rename(`${file}.tmp`, file);
}
