import {
  type Address,
  createPublicClient,
  type Hex,
  http,
  type Log,
  type PublicClient,
  parseEventLogs,
} from "viem";
import type { Chain } from "../../lambdas/shared/events.js";
import { inboxAbi } from "../../lambdas/shared/inboxAbi.js";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import { CURRENT_ORPHANS_VIEW } from "../../lambdas/sink/canonicalViews.js";
import { verifyFeeTables } from "./verifyFeeTables.js";
import { verifyPreconfTables } from "./verifyPreconfTables.js";
import { verifyShastaTables } from "./verifyShastaTables.js";

/**
 * Checks the sink against the chain itself, read back over RPC. Deliberately
 * independent of the ingestor's code: it recomputes what must be there from
 * the nodes and compares sets, so a bug in ingestion cannot hide itself.
 */
export type QueryFn = <T = Record<string, unknown>>(sql: string) => Promise<T[]>;

export interface VerifyParameters {
  readonly l1Url: string;
  readonly l2Url: string;
  readonly inboxAddresses: readonly Address[];
  /** With a Shasta fork: its tables are checked too (verifyShastaTables.ts). */
  readonly network?: TaikoNetwork;
  /** With a network: whether the fee tables were written (READ_FEES); checked unless false. */
  readonly fees?: boolean;
  /** With a network naming a PreconfWhitelist: whether preconf_epochs was written (READ_PRECONF); checked unless false. */
  readonly preconf?: boolean;
  /** Inclusive ranges to check; the sink must hold exactly the canonical chain inside them. */
  readonly l1Range: { from: number; to: number };
  readonly l2Range: { from: number; to: number };
  readonly query: QueryFn;
  /** Transactions whose logs are bad input (the chaos suite's): the sink must hold nothing of them. */
  readonly excludedTxs?: ReadonlySet<string>;
}

export interface TableCheck {
  readonly table: string;
  /** Canonical rows in the sink inside the range. */
  readonly sinkRows: number;
  /** Rows the canonical chain says must be there. */
  readonly expected: number;
  readonly missing: readonly string[];
  /** Rows shown as canonical that the chain does not hold (orphans not marked). */
  readonly unexpected: readonly string[];
  readonly duplicates: readonly string[];
  /** Exact counts when the lists above keep only examples (verifyInWindows.ts). */
  readonly counts?: { readonly missing: number; readonly unexpected: number; readonly duplicates: number };
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly tables: readonly TableCheck[];
  /** Block hashes once ingested and now off the canonical chain: all must be orphaned now (their latest mark). */
  readonly orphans: Record<
    Chain,
    {
      readonly offChain: number;
      readonly marked: number;
      readonly unmarked: readonly string[];
      /** The exact count when `unmarked` keeps only examples. */
      readonly unmarkedCount?: number;
    }
  >;
}

export async function verifyAgainstChain(p: VerifyParameters): Promise<VerifyReport> {
  const l1 = rpc(p.l1Url);
  const l2 = rpc(p.l2Url);
  const [l1Hashes, l2Hashes, allLogs] = await Promise.all([
    canonicalHashes(l1, p.l1Range),
    canonicalHashes(l2, p.l2Range),
    // An empty L1 range (a window past its end) reads no logs: a node refuses fromBlock > toBlock.
    p.l1Range.to < p.l1Range.from
      ? Promise.resolve([])
      : l1.getLogs({
          address: [...p.inboxAddresses],
          fromBlock: BigInt(p.l1Range.from),
          toBlock: BigInt(p.l1Range.to),
        }),
  ]);
  const logs = allLogs.filter((l) => !p.excludedTxs?.has(l.transactionHash.toLowerCase()));
  const expectedInbox = expectedInboxRows(logs as Log[]);

  const tables: TableCheck[] = [
    await checkHeaders(p.query, "l1_head_events", "l1_block_number", l1Hashes, p.l1Range),
    await checkHeaders(p.query, "l2_head_events", "l2_block_number", l2Hashes, p.l2Range),
  ];
  for (const [table, expected] of Object.entries(expectedInbox)) {
    tables.push(await checkKeyed(p.query, table, expected, p.l1Range));
  }
  tables.push(await checkBatchBlocks(p.query, expectedInbox.batches, logs as Log[], p.l1Range));
  if (p.network)
    tables.push(...(await verifyShastaTables({ ...p, network: p.network, l2, logs: logs as Log[] })));
  // Fees and L1 costs are read where a network preset names the L2 anchor (readFees.ts).
  if (p.network && p.fees !== false)
    tables.push(...(await verifyFeeTables({ ...p, network: p.network, l1, l2, logs: logs as Log[] })));
  // Preconf operators per epoch, where the network names a whitelist (readPreconf.ts).
  if (p.network && p.preconf !== false)
    tables.push(...(await verifyPreconfTables({ ...p, network: p.network, l1 })));

  const orphans = {
    l1: await checkOrphans(p.query, "l1", "l1_head_events", "l1_block_number", l1Hashes, p.l1Range),
    l2: await checkOrphans(p.query, "l2", "l2_head_events", "l2_block_number", l2Hashes, p.l2Range),
  };
  const ok =
    tables.every((t) => t.missing.length === 0 && t.unexpected.length === 0 && t.duplicates.length === 0) &&
    orphans.l1.unmarked.length === 0 &&
    orphans.l2.unmarked.length === 0;
  return { ok, tables, orphans };
}

function rpc(url: string): PublicClient {
  return createPublicClient({
    transport: http(url, { batch: { batchSize: 200 }, retryCount: 3 }),
  }) as PublicClient;
}

export async function canonicalHashes(
  client: PublicClient,
  range: { from: number; to: number },
): Promise<Map<number, Hex>> {
  const numbers = Array.from({ length: Math.max(0, range.to - range.from + 1) }, (_, i) => range.from + i);
  const blocks = await Promise.all(numbers.map((n) => client.getBlock({ blockNumber: BigInt(n) })));
  return new Map(blocks.map((b) => [Number(b.number), b.hash as Hex]));
}

export interface ExpectedRow {
  readonly key: string;
  readonly l1BlockHash: string;
}

/** What each inbox table must hold, recomputed from the canonical logs with the seed key formats. */
function expectedInboxRows(logs: Log[]): Record<string, ExpectedRow[]> {
  const out: Record<string, ExpectedRow[]> = {
    batches: [],
    proved_batches: [],
    verified_batches: [],
    forced_inclusion_processed: [],
  };
  for (const log of parseEventLogs({ abi: inboxAbi, logs })) {
    const at = { l1BlockHash: (log.blockHash as string).toLowerCase() };
    const tx = (log.transactionHash as string).toLowerCase();
    switch (log.eventName) {
      case "BatchProposed":
        out.batches?.push({ key: `${log.args.meta.batchId}:${tx}-batch_proposed`, ...at });
        break;
      case "BatchesProved":
        for (const id of log.args.batchIds)
          out.proved_batches?.push({ key: `${id}:${tx}-batches_proved`, ...at });
        break;
      case "BatchesVerified":
        out.verified_batches?.push({ key: `${log.args.batchId}:${tx}-batches_verified`, ...at });
        break;
      case "ForcedInclusionProcessed": {
        const blobHash =
          (log.args as unknown as readonly [{ blobHash: Hex }])[0]?.blobHash ??
          (log.args as { blobHash?: Hex }).blobHash;
        out.forced_inclusion_processed?.push({
          key: `${String(blobHash).toLowerCase()}-forced_inclusion_processed`,
          ...at,
        });
        break;
      }
    }
  }
  return out;
}

async function checkHeaders(
  query: QueryFn,
  table: string,
  numberColumn: string,
  chain: Map<number, Hex>,
  range: { from: number; to: number },
): Promise<TableCheck> {
  const rows = await query<{ n: number | bigint; h: string }>(
    `SELECT ${numberColumn} AS n, block_hash AS h FROM canonical_${table} WHERE ${numberColumn} BETWEEN ${range.from} AND ${range.to}`,
  );
  const seen = new Map<number, string[]>();
  for (const r of rows) {
    const n = Number(r.n);
    seen.set(n, [...(seen.get(n) ?? []), r.h]);
  }
  const missing: string[] = [];
  const unexpected: string[] = [];
  const duplicates: string[] = [];
  for (const [n, hash] of chain) {
    const got = seen.get(n) ?? [];
    if (!got.includes(hash.toLowerCase())) missing.push(`#${n} ${hash}`);
    if (got.filter((h) => h === hash.toLowerCase()).length > 1) duplicates.push(`#${n} ${hash}`);
    for (const h of got) if (h !== hash.toLowerCase()) unexpected.push(`#${n} ${h}`);
  }
  return { table, sinkRows: rows.length, expected: chain.size, missing, unexpected, duplicates };
}

export async function checkKeyed(
  query: QueryFn,
  table: string,
  expected: readonly ExpectedRow[],
  range: { from: number; to: number },
): Promise<TableCheck> {
  const rows = await query<{ k: string; h: string }>(
    `SELECT event_key AS k, l1_block_hash AS h FROM canonical_${table} WHERE l1_block_number BETWEEN ${range.from} AND ${range.to}`,
  );
  return compareSets(
    table,
    expected.map((e) => `${e.key}@${e.l1BlockHash}`),
    rows.map((r) => `${r.k}@${r.h}`),
  );
}

/** batch_blocks: one row per L2 block of each canonical batch, numbered lastBlockId − n + 1 … lastBlockId. */
async function checkBatchBlocks(
  query: QueryFn,
  _batches: readonly ExpectedRow[] | undefined,
  logs: Log[],
  range: { from: number; to: number },
): Promise<TableCheck> {
  const expected: string[] = [];
  for (const log of parseEventLogs({ abi: inboxAbi, logs, eventName: "BatchProposed" })) {
    const last = Number(log.args.info.lastBlockId);
    const count = log.args.info.blocks.length;
    for (let n = last - count + 1; n <= last; n++)
      expected.push(`${log.args.meta.batchId}:${n}@${(log.blockHash as string).toLowerCase()}`);
  }
  const rows = await query<{ b: number | bigint; n: number | bigint; h: string }>(
    `SELECT batch_id AS b, l2_block_number AS n, l1_block_hash AS h FROM canonical_batch_blocks WHERE l1_block_number BETWEEN ${range.from} AND ${range.to}`,
  );
  return compareSets(
    "batch_blocks",
    expected,
    rows.map((r) => `${Number(r.b)}:${Number(r.n)}@${r.h}`),
  );
}

export function compareSets(
  table: string,
  expected: readonly string[],
  actual: readonly string[],
): TableCheck {
  const want = new Set(expected);
  const counts = new Map<string, number>();
  for (const a of actual) counts.set(a, (counts.get(a) ?? 0) + 1);
  return {
    table,
    sinkRows: actual.length,
    expected: want.size,
    missing: [...want].filter((k) => !counts.has(k)),
    unexpected: [...counts.keys()].filter((k) => !want.has(k)),
    duplicates: [...counts].filter(([, c]) => c > 1).map(([k]) => k),
  };
}

async function checkOrphans(
  query: QueryFn,
  chain: Chain,
  table: string,
  numberColumn: string,
  canonical: Map<number, Hex>,
  range: { from: number; to: number },
): Promise<VerifyReport["orphans"][Chain]> {
  const all = await query<{ n: number | bigint; h: string }>(
    // DISTINCT: a raw ClickHouse table may still hold a row twice until its parts merge.
    `SELECT DISTINCT ${numberColumn} AS n, block_hash AS h FROM ${table} WHERE ${numberColumn} BETWEEN ${range.from} AND ${range.to}`,
  );
  const marked = new Set(
    (
      await query<{ h: string }>(
        `SELECT block_hash AS h FROM ${CURRENT_ORPHANS_VIEW} WHERE chain = '${chain}'`,
      )
    ).map((r) => r.h),
  );
  const offChain = all.filter((r) => canonical.get(Number(r.n))?.toLowerCase() !== r.h);
  return {
    offChain: offChain.length,
    marked: offChain.filter((r) => marked.has(r.h)).length,
    unmarked: offChain.filter((r) => !marked.has(r.h)).map((r) => `#${Number(r.n)} ${r.h}`),
  };
}
