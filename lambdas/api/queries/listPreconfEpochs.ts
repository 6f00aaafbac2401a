import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { BadParameterError } from "../errors.js";
import { type Page, toPage } from "../Page.js";
import { toNumber } from "../sqlDialect.js";
import { createSqlParams } from "../sqlParams.js";

/** One epoch's preconfirmation operators, as the whitelist held them at the latest canonical L1 block read. */
export interface PreconfEpoch {
  /** Unix seconds: the epoch's start (the whitelist's epochStartTimestamp). */
  readonly epochStart: number;
  readonly whitelist: string;
  /** getOperatorForCurrentEpoch at the block: the proposer allowed to propose (0x0…0: none). */
  readonly currentOperator: string;
  /** getOperatorForNextEpoch at the block. */
  readonly nextOperator: string;
  /** Operators active in the epoch: the draw's candidates (proposer addresses). */
  readonly candidates: readonly string[];
  /** Every whitelisted operator, in the whitelist's index order. */
  readonly operators: readonly { proposer: string; sequencer: string; activeSince: number }[];
  /** The L1 block the state was read at: the epoch's latest canonical observation. */
  readonly readAt: { readonly blockNumber: number; readonly blockHash: string; readonly timestamp: number };
  /** Canonical observations of the epoch (more than one when the operator set changed within it). */
  readonly observations: number;
}

interface Row {
  w: string;
  e: unknown;
  n: unknown;
  h: string;
  t: unknown;
  c: string;
  x: string;
  o: string;
  s: string;
  a: string;
  k: string;
}

const list = (s: string): string[] => (s === "" ? [] : s.split(","));

/** The columns of canonical_preconf_epochs a PreconfEpoch is built from, newest epoch and read first. */
const selectEpochs = (where: string): string =>
  "SELECT whitelist AS w, epoch_start_ts AS e, l1_block_number AS n, l1_block_hash AS h, l1_block_ts AS t, " +
  "current_operator AS c, next_operator AS x, operators AS o, sequencers AS s, active_since AS a, candidates AS k " +
  `FROM canonical_preconf_epochs WHERE ${where} ORDER BY e DESC, n DESC, h`;

/** Rows in selectEpochs' order → one PreconfEpoch per (whitelist, epoch), its latest read first, in that order. */
function epochsOf(rows: readonly Row[]): PreconfEpoch[] {
  const epochs = new Map<string, PreconfEpoch>();
  for (const r of rows) {
    const key = `${toNumber(r.e)}:${r.w}`;
    const seen = epochs.get(key);
    if (seen) {
      epochs.set(key, { ...seen, observations: seen.observations + 1 });
      continue;
    }
    const sequencers = list(r.s);
    const activeSince = list(r.a);
    epochs.set(key, {
      epochStart: toNumber(r.e),
      whitelist: r.w,
      currentOperator: r.c,
      nextOperator: r.x,
      candidates: list(r.k),
      operators: list(r.o).map((proposer, i) => ({
        proposer,
        sequencer: sequencers[i] ?? "",
        activeSince: Number(activeSince[i] ?? 0),
      })),
      readAt: { blockNumber: toNumber(r.n), blockHash: r.h, timestamp: toNumber(r.t) },
      observations: 1,
    });
  }
  return [...epochs.values()];
}

/**
 * Epochs starting in the window, newest first, one item per (whitelist, epoch): its latest canonical
 * observation (an operator's removal changes the epoch's draw at once, so the latest read is the one that held).
 */
export async function listPreconfEpochs(db: SqlQueryable, q: ApiQuery): Promise<Page<PreconfEpoch>> {
  const p = createSqlParams();
  const where = [`epoch_start_ts >= ${p.add(q.range.gte)}`, `epoch_start_ts < ${p.add(q.range.lt)}`];
  if (q.cursor !== undefined) {
    const [at] = q.cursor;
    if (typeof at !== "number") throw new BadParameterError("cursor", "not a cursor of this list");
    where.push(`epoch_start_ts < ${p.add(at)}`);
  }
  const rows = await db.query<Row>(selectEpochs(where.join(" AND ")), p.values);
  return toPage(epochsOf(rows).slice(0, q.limit + 1), q.limit, (e) => [e.epochStart]);
}

/**
 * The newest epoch any canonical read describes, as its latest canonical read found it: the dashboard's
 * current operators, whatever window it shows. Null when no whitelist was ever read (a network without
 * one, or READ_PRECONF=false). An L1 reorg that orphans the read drops it here at once: the epoch falls
 * back to its earlier read, or to the previous epoch, until the new chain's block is read.
 */
export async function readCurrentPreconfEpoch(db: SqlQueryable): Promise<PreconfEpoch | null> {
  const rows = await db.query<Row>(
    selectEpochs("epoch_start_ts = (SELECT max(epoch_start_ts) FROM canonical_preconf_epochs)"),
  );
  // Two whitelists can describe one epoch across a fork: the latest read's is the one in force.
  return epochsOf(rows)[0] ?? null;
}
