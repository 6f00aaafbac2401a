import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { cursorNumber } from "../cursor.js";
import { type Page, toPage } from "../Page.js";
import { placeholders, toNumber, toNumberOrNull } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";
import { l2BlocksOf } from "./l2BlockSource.js";

export interface L2Block {
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Unix seconds. */
  readonly timestamp: number;
  /** timestamp − the canonical block n−1's; null when n−1 is not recorded. */
  readonly secondsSincePrevious: number | null;
  readonly gasUsed: number;
  readonly txCount: number;
  /** Wei, as a decimal string (can pass 2^53); null before EIP-1559. */
  readonly baseFee: string | null;
  readonly sequencer: string;
}

interface Row {
  n: unknown;
  h: string;
  ts: unknown;
  gas: unknown;
  tx: unknown;
  fee: unknown;
  seq: string;
}

/** Canonical L2 blocks in the window, newest first (block times, gas and transactions per block). */
export async function listL2Blocks(db: SqlQueryable, q: ApiQuery): Promise<Page<L2Block>> {
  const p = createSqlParams();
  const where = [`block_ts >= ${p.add(q.range.gte)}`, `block_ts < ${p.add(q.range.lt)}`];
  if (q.block.gte !== undefined) where.push(`l2_block_number >= ${p.add(q.block.gte)}`);
  if (q.block.lt !== undefined) where.push(`l2_block_number < ${p.add(q.block.lt)}`);
  if (q.address !== undefined) where.push(`sequencer = ${p.add(q.address)}`);
  const after = cursorNumber(q.cursor);
  if (after !== undefined) where.push(`l2_block_number < ${p.add(after)}`);
  // Over the rollup (DuckDB): the page's lowest height first (a top-N of one integer column), so the sort
  // below sees only the rows at or above it — the same page, without sorting every row in the window.
  if (db.l2BlockRollup !== undefined)
    where.push(
      `l2_block_number >= (SELECT list_min(max(l2_block_number, ${q.limit + 1})) FROM ${db.l2BlockRollup} ` +
        `WHERE ${where.join(" AND ")})`,
    );
  const rows = await db.query<Row>(
    "SELECT l2_block_number AS n, block_hash AS h, block_ts AS ts, sum_gas_used AS gas, sum_tx AS tx, " +
      `base_fee AS fee, sequencer AS seq FROM ${l2BlocksOf(db)} WHERE ${where.join(" AND ")} ` +
      `ORDER BY l2_block_number DESC, block_hash LIMIT ${q.limit + 1}`,
    p.values,
  );
  const blocks = uniqueByNumber(rows);
  const times = new Map(blocks.map((r) => [toNumber(r.n), toNumber(r.ts)]));
  const missing = [...new Set(blocks.map((r) => toNumber(r.n) - 1))].filter((n) => n >= 0 && !times.has(n));
  if (missing.length > 0) {
    const prev = await db.query<{ n: unknown; ts: unknown }>(
      `SELECT l2_block_number AS n, block_ts AS ts FROM ${l2BlocksOf(db)} ` +
        `WHERE l2_block_number IN (${placeholders(missing.length, 1)})`,
      missing,
    );
    for (const r of prev) if (!times.has(toNumber(r.n))) times.set(toNumber(r.n), toNumber(r.ts));
  }
  const items = blocks.map((r): L2Block => {
    const n = toNumber(r.n);
    const ts = toNumber(r.ts);
    const before = times.get(n - 1);
    return {
      blockNumber: n,
      blockHash: r.h,
      timestamp: ts,
      secondsSincePrevious: before === undefined ? null : ts - before,
      gasUsed: toNumber(r.gas),
      txCount: toNumber(r.tx),
      baseFee: toNumberOrNull(r.fee) === null ? null : String(r.fee),
      sequencer: r.seq,
    };
  });
  return toPage(items, q.limit, (b) => [b.blockNumber]);
}

// A height with two canonical rows would be a sink bug; serve one rather than a duplicate.
function uniqueByNumber(rows: readonly Row[]): Row[] {
  const seen = new Set<number>();
  return rows.filter((r) => {
    const n = toNumber(r.n);
    if (seen.has(n)) return false;
    seen.add(n);
    return true;
  });
}
