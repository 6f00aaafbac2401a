import type { DurationStats } from "../../queries/chainMetrics.js";
import { computeFeeMetrics, type FeeMetrics } from "../../queries/feeMetrics.js";
import type { Chain } from "../../shared/events.js";
import type { SqlQueryable } from "../../sink/SqlQueryable.js";
import type { ApiQuery } from "../apiParams.js";
import { chainMetricQueriesOf, toNumber } from "../sqlDialect.js";
import { l2CadenceSql } from "./l2BlockSource.js";
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

/** Every card and chart of the dashboard in one call, each from the same query module as its own endpoint. */
export async function readDashboardData(db: SqlQueryable, q: ApiQuery): Promise<DashboardData> {
  const page = { ...q, cursor: undefined, address: undefined, block: {} };
  const metrics = chainMetricQueriesOf(db);
  // Sequential on purpose: one connection answers one query at a time anyway.
  const l1Head = await readChainHead(db, "l1");
  const l2Head = await readChainHead(db, "l2");
  const tps = await readTps(db, q.range);
  const l2BlockCadence = await readStats(db, l2CadenceSql(db), q.range);
  const batchCadence = await readStats(db, metrics.batchCadence, q.range);
  const proveTime = await readProveTimeStats(db, q.range);
  const verifyTime = await readVerifyTimeStats(db, q.range);
  const reorgRows = await db.query<{ chain: Chain; count: unknown }>(metrics.reorgs, [
    q.range.gte,
    q.range.lt,
  ]);
  const [forced] = await db.query<{ n: unknown }>(metrics.forcedInclusions, [q.range.gte, q.range.lt]);
  const blocks = await listL2Blocks(db, page);
  const proofs = await listProveTimes(db, page);
  const verifications = await listVerifyTimes(db, page);
  const batches = await listBatches(db, page);
  const sequencers = await readSequencerDistribution(db, q.range);
  const fees = await computeFeeMetrics(db, { since: q.range.gte, until: q.range.lt });
  const preconf = await readCurrentPreconfEpoch(db);
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
