import { CANONICAL_VIEWS, CURRENT_ORPHANS_VIEW, MARKS_TABLE } from "../sink/canonicalViews.js";
import { L2_BLOCK_ROLLUP } from "../sink/l2BlockRollup.js";
import { LEGACY_ORPHANED_BLOCKS } from "../sink/legacyOrphanedBlocks.js";
import { TABLE_NAMES } from "../sink/rows.js";
import type { SqlQueryable, TableVersions } from "../sink/SqlQueryable.js";

/** Computes the parts (cards) of one answer, each possibly kept from an earlier answer to the same question. */
export interface CardCache {
  /** `compute`'s result for card `name`; compute reads through the queryable it is given. */
  card<T>(name: string, compute: (db: SqlQueryable) => Promise<T>): Promise<T>;
}

/** Every card computed, nothing kept (stores that cannot version their tables, and plain calls). */
export const uncachedCards = (db: SqlQueryable): CardCache => ({ card: (_name, compute) => compute(db) });

/**
 * The stored tables whose rows a relation shows: a table itself; a canonical view, its table and the block
 * marks that hide rows; the L2 block rollup, itself (the DuckDB sink versions it with every write it changes).
 * A store's tables and views must all be here (the card cache test lists DuckDB's).
 */
const RELATIONS: readonly {
  readonly name: string;
  readonly tables: readonly string[];
  readonly pattern: RegExp;
}[] = [
  ...TABLE_NAMES.map((t) => ({ name: t, tables: [t] })),
  ...CANONICAL_VIEWS.map((v) => ({ name: v.view, tables: [v.table, MARKS_TABLE] })),
  { name: CURRENT_ORPHANS_VIEW, tables: [MARKS_TABLE] },
  { name: L2_BLOCK_ROLLUP, tables: [L2_BLOCK_ROLLUP] },
  // Unread since block marks, but a table the store holds: named, it is versioned like any other.
  { name: LEGACY_ORPHANED_BLOCKS.table, tables: [LEGACY_ORPHANED_BLOCKS.table] },
].map((r) => ({ ...r, pattern: new RegExp(`(?<![\\w])${r.name}(?![\\w])`, "i") }));

/** Every relation the SQL names (qualified or not) and the stored tables behind them. */
export function tablesReadBy(sql: string): Set<string> {
  const tables = new Set<string>();
  for (const r of RELATIONS) if (r.pattern.test(sql)) for (const t of r.tables) tables.add(t);
  return tables;
}

/** The relation names tablesReadBy knows: a store's tables and views must all be among them. */
export const KNOWN_RELATIONS: readonly string[] = RELATIONS.map((r) => r.name);

interface Entry {
  readonly tables: readonly string[];
  /** The tables' versions the value was computed at. */
  readonly stamp: string;
  readonly value: unknown;
}

/** The card cache of one answer: the cards it computed are kept when it settles (after its last card). */
export interface SettlingCardCache extends CardCache {
  settle(): Promise<void>;
}

export interface CardCacheStore {
  /** The card cache of one answer; `answerKey` names the question (answerCacheKey), cards are kept under it. */
  forAnswer(answerKey: string): SettlingCardCache;
  readonly stats: { hits: number; misses: number };
}

const stampOf = (tables: readonly string[], versions: TableVersions) =>
  tables.map((t) => `${t}=${versions(t)}`).join(",");

/**
 * Cards kept per answer key while the tables they read are unchanged: after a new L2 block only the cards
 * that read L2 blocks are computed again. What a card reads is taken from the SQL it runs (tablesReadBy),
 * not declared, so it cannot drift from the queries. Exact as the response cache is: the table versions are
 * read once when an answer starts and once when it settles, and a card computed in between is kept only
 * when its tables' versions are the same at both (no write to them landed while it was computed).
 */
export function createCardCache(p: {
  readonly db: SqlQueryable;
  /** Cards kept at most; the oldest goes first. @default 2000 */
  readonly maxEntries?: number;
}): CardCacheStore {
  const { db } = p;
  const maxEntries = p.maxEntries ?? 2000;
  const entries = new Map<string, Entry>();
  const stats = { hits: 0, misses: 0 };
  const versionsNow = async () => (await db.tableVersions?.()) ?? undefined;

  function forAnswer(answerKey: string): SettlingCardCache {
    // Read at the first card, not before: an answer whose cards all come from elsewhere never asks.
    let before: Promise<TableVersions | undefined> | undefined;
    const computed: { key: string; tables: readonly string[]; value: unknown }[] = [];
    return {
      async card<T>(name: string, compute: (db: SqlQueryable) => Promise<T>): Promise<T> {
        before ??= versionsNow();
        const versions = await before;
        if (versions === undefined) return compute(db); // a write in flight: nothing is kept
        const key = `${answerKey}#${name}`;
        const entry = entries.get(key);
        if (entry !== undefined && stampOf(entry.tables, versions) === entry.stamp) {
          stats.hits++;
          return entry.value as T;
        }
        stats.misses++;
        const read = new Set<string>();
        const value = await compute(recordingReads(db, read));
        if (!read.has(UNKNOWN)) computed.push({ key, tables: [...read].sort(), value });
        return value;
      },
      async settle() {
        const versions = before === undefined ? undefined : await before;
        if (versions === undefined || computed.length === 0) return;
        // A version that cannot be read now keeps nothing; the answer itself stands.
        const after = await versionsNow().catch(() => undefined);
        if (after === undefined) return;
        for (const { key, tables, value } of computed) {
          const stamp = stampOf(tables, versions);
          if (stampOf(tables, after) !== stamp) continue;
          entries.delete(key);
          while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
          entries.set(key, { tables, stamp, value });
        }
      },
    };
  }

  return { stats, forAnswer };
}

/** Noted for a statement that names no known relation: what it reads cannot be versioned, so it is not kept. */
const UNKNOWN = "?";

/** `db`, noting in `read` the stored tables behind every statement run through it. */
function recordingReads(db: SqlQueryable, read: Set<string>): SqlQueryable {
  return {
    ...(db.dialect === undefined ? {} : { dialect: db.dialect }),
    ...(db.l2BlockRollup === undefined ? {} : { l2BlockRollup: db.l2BlockRollup }),
    query(sql, params) {
      const tables = tablesReadBy(sql);
      if (tables.size === 0) read.add(UNKNOWN);
      for (const t of tables) read.add(t);
      return db.query(sql, params);
    },
  };
}
