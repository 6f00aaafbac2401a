import type { Chain } from "../../shared/events.js";
import { MARKS_TABLE } from "../../sink/canonicalViews.js";
import type { BlockMarkState } from "../../sink/rows.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { BadParameterError } from "../errors.js";
import { type Page, toPage } from "../Page.js";
import { final, placeholders, toNumber } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

export interface Reorg {
  readonly chain: Chain;
  readonly depth: number;
  readonly commonAncestor: { readonly number: number; readonly hash: string };
  readonly newHead: { readonly number: number; readonly hash: string };
  /** Unix seconds, when the ingestor saw it. */
  readonly detectedAt: number;
  /** The blocks it orphaned, lowest first. */
  readonly orphaned: readonly { readonly number: number; readonly hash: string }[];
  /** The blocks it made canonical again (an A→B→A flip, a repair), lowest first. */
  readonly restored: readonly { readonly number: number; readonly hash: string }[];
  readonly id: string;
}

interface Row {
  chain: Chain;
  depth: unknown;
  can: unknown;
  cah: string;
  nhn: unknown;
  nhh: string;
  seen: unknown;
  k: string;
  id: string;
}

/** Reorgs detected in the window (on one chain with `chain`), newest first, with the hashes they orphaned and restored. */
export async function listReorgs(db: SqlQueryable, q: ApiQuery): Promise<Page<Reorg>> {
  const p = createSqlParams();
  const where = [`detected_at >= ${p.add(q.range.gte)}`, `detected_at < ${p.add(q.range.lt)}`];
  if (q.chain !== undefined) where.push(`chain = ${p.add(q.chain)}`);
  if (q.cursor !== undefined) {
    const [at, id] = q.cursor;
    if (typeof at !== "number" || typeof id !== "string") {
      throw new BadParameterError("cursor", "not a cursor of this list");
    }
    where.push(
      `(detected_at < ${p.add(at)} OR (detected_at = ${p.add(at)} AND observation_id < ${p.add(id)}))`,
    );
  }
  const rows = await db.query<Row>(
    "SELECT chain, depth, common_ancestor_number AS can, common_ancestor_hash AS cah, new_head_number AS nhn, " +
      "new_head_hash AS nhh, detected_at AS seen, event_key AS k, observation_id AS id " +
      `FROM reorgs${final(db)} WHERE ${where.join(" AND ")} ORDER BY seen DESC, id DESC LIMIT ${q.limit + 1}`,
    p.values,
  );
  const keys = [...new Set(rows.map((r) => r.k))];
  const orphans =
    keys.length === 0
      ? []
      : await db.query<{ k: string; n: unknown; h: string; s: BlockMarkState }>(
          `SELECT reorg_key AS k, block_number AS n, block_hash AS h, state AS s FROM ${MARKS_TABLE}${final(db)} ` +
            `WHERE reorg_key IN (${placeholders(keys.length, 1)}) ORDER BY n, h`,
          keys,
        );
  const marksOf = (k: string, state: BlockMarkState) =>
    orphans.filter((o) => o.k === k && o.s === state).map((o) => ({ number: toNumber(o.n), hash: o.h }));
  const items = rows.map(
    (r): Reorg => ({
      chain: r.chain,
      depth: toNumber(r.depth),
      commonAncestor: { number: toNumber(r.can), hash: r.cah },
      newHead: { number: toNumber(r.nhn), hash: r.nhh },
      detectedAt: toNumber(r.seen),
      orphaned: marksOf(r.k, "orphaned"),
      restored: marksOf(r.k, "restored"),
      id: r.id,
    }),
  );
  return toPage(items, q.limit, (r) => [r.detectedAt, r.id]);
}
