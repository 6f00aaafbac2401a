import type { DurationStats } from "../../queries/chainMetrics.js";
import { computeFeeMetrics, type FeeMetrics } from "../../queries/feeMetrics.js";
import type { Chain } from "../../shared/events.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { type CardCache, uncachedCards } from "../createCardCache.js";
import { chainMetricQueriesOf, toNumber } from "../sqlDialect.js";
import { readL2Cadence } from "./l2BlockSource.js";
import { listBatches } from "./listBatches.js";
import { listL2Blocks } from "./listL2Blocks.js";
import { type PreconfEpoch, readCurrentPreconfEpoch } from "./listPreconfEpochs.js";
import { listProveTimes, readProveTimeStats, readStats } from "./listProveTimes.js";
import { listVerifyTimes, readVerifyTimeStats } from "./listVerifyTimes.js";
import { type ChainHead, readChainHead } from "./readChainHead.js";
import {
  GENESIS_COINBASE,
  readSequencerDistribution,
  type SequencerShare,
} from "./readSequencerDistribution.js";
import { readTps, type Tps } from "./readTps.js";

export interface DashboardData {
  readonly range: ApiQuery["range"];
  readonly cards: {
    readonly l1Head: ChainHead | null;
    readonly l2Head: ChainHead | null;
    /** The sequencer of the L2 head; null for the genesis coinbase. */
    readonly currentSequencer: string | null;
    readonly tps: Tps;
    readonly l2BlockCadence: DurationStats;
    readonly batchCadence: DurationStats;
    readonly proveTime: DurationStats;
    readonly verifyTime: DurationStats;
    readonly reorgs: { readonly l1: number; readonly l2: number };
    readonly forcedInclusions: number;
    /** Fee totals, L1 data and proving cost, sequencer profit (GET /v1/fees, feeMetrics.ts). */
    readonly fees: FeeMetrics;
    /**
     * The newest epoch's preconfirmation operators, as its latest canonical read found it (the same item
     * GET /v1/preconf-operators gives for that epoch); not bounded by the window. Null: no whitelist read.
     */
    readonly preconf: PreconfEpoch | null;
  };
  /** The latest `limit` points of each series in the window, oldest first (ready to plot). */
  readonly charts: {
    readonly blocks: readonly {
      readonly blockNumber: number;
      readonly timestamp: number;
      readonly blockTime: number | null;
      readonly gasUsed: number;
      readonly txCount: number;
    }[];
    readonly proveTimes: readonly { readonly batchId: number; readonly seconds: number }[];
    readonly verifyTimes: readonly { readonly batchId: number; readonly seconds: number }[];
    readonly blobsPerBatch: readonly { readonly batchId: number; readonly blobs: number }[];
    readonly sequencers: readonly SequencerShare[];
  };
}

/**
 * Every card and chart of the dashboard in one call, each from the same query module as its own endpoint.
 * `cards` may keep cards from an earlier answer to the same question while the tables they read are
 * unchanged (createCardCache.ts): after a new L2 block only the L2 cards are computed again.
 */
export async function readDashboardData(
  db: SqlQueryable,
  q: ApiQuery,
  cards: CardCache = uncachedCards(db),
): Promise<DashboardData> {
  const page = { ...q, cursor: undefined, address: undefined, block: {} };
  const metrics = chainMetricQueriesOf(db);
  const { card } = cards;
  const window = [q.range.gte, q.range.lt];
  // Sequential on purpose: one connection answers one query at a time anyway.
  const l1Head = await card("l1Head", (d) => readChainHead(d, "l1"));
  const l2Head = await card("l2Head", (d) => readChainHead(d, "l2"));
  const tps = await card("tps", (d) => readTps(d, q.range));
  const l2BlockCadence = await card("l2BlockCadence", (d) => readL2Cadence(d, q.range));
  const batchCadence = await card("batchCadence", (d) => readStats(d, metrics.batchCadence, q.range));
  const proveTime = await card("proveTime", (d) => readProveTimeStats(d, q.range));
  const verifyTime = await card("verifyTime", (d) => readVerifyTimeStats(d, q.range));
  const reorgRows = await card("reorgs", (d) =>
    d.query<{ chain: Chain; count: unknown }>(metrics.reorgs, window),
  );
  const [forced] = await card("forcedInclusions", (d) =>
    d.query<{ n: unknown }>(metrics.forcedInclusions, window),
  );
  const blocks = await card("blocks", (d) => listL2Blocks(d, page));
  const proofs = await card("proveTimes", (d) => listProveTimes(d, page));
  const verifications = await card("verifyTimes", (d) => listVerifyTimes(d, page));
  const batches = await card("batches", (d) => listBatches(d, page));
  const sequencers = await card("sequencers", (d) => readSequencerDistribution(d, q.range));
  const fees = await card("fees", (d) => computeFeeMetrics(d, { since: q.range.gte, until: q.range.lt }));
  const preconf = await card("preconf", (d) => readCurrentPreconfEpoch(d));
  const reorgsOn = (chain: Chain) => toNumber(reorgRows.find((r) => r.chain === chain)?.count ?? 0);
  return {
    range: q.range,
    cards: {
      l1Head,
      l2Head,
      currentSequencer: l2Head === null || l2Head.miner === GENESIS_COINBASE ? null : l2Head.miner,
      tps,
      l2BlockCadence,
      batchCadence,
      proveTime,
      verifyTime,
      reorgs: { l1: reorgsOn("l1"), l2: reorgsOn("l2") },
      forcedInclusions: toNumber(forced?.n ?? 0),
      fees,
      preconf,
    },
    charts: {
      blocks: [...blocks.items].reverse().map((b) => ({
        blockNumber: b.blockNumber,
        timestamp: b.timestamp,
        blockTime: b.secondsSincePrevious,
        gasUsed: b.gasUsed,
        txCount: b.txCount,
      })),
      proveTimes: [...proofs.items].reverse().map((t) => ({ batchId: t.batchId, seconds: t.seconds })),
      verifyTimes: [...verifications.items]
        .reverse()
        .map((t) => ({ batchId: t.batchId, seconds: t.seconds })),
      blobsPerBatch: [...batches.items].reverse().map((b) => ({ batchId: b.batchId, blobs: b.blobCount })),
      sequencers,
    },
  };
}
