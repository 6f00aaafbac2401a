/**
 * Counts the writes of a store that has one writer (this process): the version a cache of query answers is
 * keyed on. Every write changes it when it starts; while one is in flight there is no version, because its
 * commit may land in the middle of a query.
 *
 * Each table also has its own count — the writes that named it — so an answer read from a few tables can be
 * kept while the others move (a new L2 block leaves the L1 cards' tables alone). A write that cannot say
 * which tables it changes (DDL, a raw statement) counts for every table.
 */
import type { TableVersions } from "./SqlQueryable.js";

export interface WriteGeneration {
  /** Runs a write, counted; `tables` are the tables it may change, every table when omitted. */
  track<T>(write: () => Promise<T>, tables?: Iterable<string>): Promise<T>;
  /** The number of writes started, or undefined while one is in flight. */
  current(): string | undefined;
  /** A table's version: the writes started that may have changed it; undefined while a write is in flight. */
  tables(): TableVersions | undefined;
}

export function createWriteGeneration(): WriteGeneration {
  let started = 0;
  let inFlight = 0;
  // Writes that named no tables: they move every table's version.
  let everywhere = 0;
  const perTable = new Map<string, number>();
  return {
    async track(write, tables) {
      started++;
      if (tables === undefined) everywhere++;
      else for (const t of new Set(tables)) perTable.set(t, (perTable.get(t) ?? 0) + 1);
      inFlight++;
      try {
        return await write();
      } finally {
        inFlight--;
      }
    },
    current: () => (inFlight > 0 ? undefined : String(started)),
    tables: () => {
      if (inFlight > 0) return undefined;
      const counts = new Map(perTable);
      const all = everywhere;
      return (table) => `${all}.${counts.get(table) ?? 0}`;
    },
  };
}
