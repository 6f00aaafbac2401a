import { computeFeeMetrics } from "../queries/feeMetrics.js";
import type { SqlQueryable } from "../sink/SqlQueryable.js";
import type { ApiParamName, ApiQuery } from "./apiParams.js";
import type { CardCache } from "./createCardCache.js";
import { listBatches } from "./queries/listBatches.js";
import { listFailedProposals } from "./queries/listFailedProposals.js";
import { listForcedInclusions } from "./queries/listForcedInclusions.js";
import { listL2Blocks } from "./queries/listL2Blocks.js";
import { listPreconfEpochs } from "./queries/listPreconfEpochs.js";
import { listProveTimes, readProveTimeStats, readStats } from "./queries/listProveTimes.js";
import { listReorgs } from "./queries/listReorgs.js";
import { listVerifyTimes, readVerifyTimeStats } from "./queries/listVerifyTimes.js";
import { readBlockTimeHistogram } from "./queries/readBlockTimeHistogram.js";
import { readChainHead } from "./queries/readChainHead.js";
import { readDashboardData } from "./queries/readDashboardData.js";
import { readSequencerDistribution } from "./queries/readSequencerDistribution.js";
import { readTps } from "./queries/readTps.js";
import { chainMetricQueriesOf } from "./sqlDialect.js";

/** One `GET /v1/…` route: the app registers it and the OpenAPI document describes it, from this one entry. */
export interface ApiEndpoint {
  readonly path: string;
  readonly operationId: string;
  readonly tag: "chain" | "blocks" | "batches" | "dashboard";
  readonly summary: string;
  readonly description?: string;
  readonly params: readonly ApiParamName[];
  /** The JSON body; null answers 404 (nothing recorded yet). `cards` may keep parts of earlier answers. */
  readonly run: (db: SqlQueryable, q: ApiQuery, cards?: CardCache) => Promise<object | null>;
}

const WINDOW: readonly ApiParamName[] = ["created[gte]", "created[lt]"];
const PAGE: readonly ApiParamName[] = [...WINDOW, "limit", "cursor"];
const L2_LIST: readonly ApiParamName[] = [...PAGE, "block[gte]", "block[lt]", "address"];

export const API_ENDPOINTS: readonly ApiEndpoint[] = [
  {
    path: "/v1/l1-head",
    operationId: "getL1Head",
    tag: "chain",
    summary: "Highest canonical L1 block recorded",
    params: [],
    run: (db) => readChainHead(db, "l1"),
  },
  {
    path: "/v1/l2-head",
    operationId: "getL2Head",
    tag: "chain",
    summary: "Highest canonical L2 block recorded",
    params: [],
    run: (db) => readChainHead(db, "l2"),
  },
  {
    path: "/v1/l2-blocks",
    operationId: "listL2Blocks",
    tag: "blocks",
    summary: "Canonical L2 blocks, newest first",
    description:
      "Block time, gas used, transactions and sequencer per block. `block[…]` bounds the L2 block number, `address` selects one sequencer.",
    params: L2_LIST,
    run: (db, q) => listL2Blocks(db, q),
  },
  {
    path: "/v1/block-times",
    operationId: "listBlockTimes",
    tag: "blocks",
    summary: "Seconds between each canonical L2 block and its parent, with the window's cadence statistics",
    params: L2_LIST,
    run: async (db, q) => {
      const page = await listL2Blocks(db, q);
      return {
        stats: await readStats(db, chainMetricQueriesOf(db).l2Cadence, q.range),
        items: page.items.map((b) => ({
          blockNumber: b.blockNumber,
          timestamp: b.timestamp,
          seconds: b.secondsSincePrevious,
        })),
        nextCursor: page.nextCursor,
      };
    },
  },
  {
    path: "/v1/block-time-histogram",
    operationId: "getBlockTimeHistogram",
    tag: "blocks",
    summary: "How many L2 blocks came 1 s, 2 s, … after their parent",
    params: WINDOW,
    run: (db, q) => readBlockTimeHistogram(db, q.range),
  },
  {
    path: "/v1/gas-used",
    operationId: "listGasUsed",
    tag: "blocks",
    summary: "Gas used and transactions per canonical L2 block",
    params: L2_LIST,
    run: async (db, q) => {
      const page = await listL2Blocks(db, q);
      return {
        items: page.items.map((b) => ({
          blockNumber: b.blockNumber,
          gasUsed: b.gasUsed,
          txCount: b.txCount,
        })),
        nextCursor: page.nextCursor,
      };
    },
  },
  {
    path: "/v1/tps",
    operationId: "getTps",
    tag: "blocks",
    summary: "L2 transactions per second over the window",
    params: WINDOW,
    run: (db, q) => readTps(db, q.range),
  },
  {
    path: "/v1/sequencers",
    operationId: "getSequencerDistribution",
    tag: "blocks",
    summary: "Blocks per sequencer and their share (the genesis coinbase 0x0…0 is not a sequencer)",
    params: WINDOW,
    run: async (db, q) => ({ items: await readSequencerDistribution(db, q.range) }),
  },
  {
    path: "/v1/reorgs",
    operationId: "listReorgs",
    tag: "chain",
    summary: "Reorgs detected, newest first: chain, depth, orphaned hashes",
    params: [...PAGE, "chain"],
    run: (db, q) => listReorgs(db, q),
  },
  {
    path: "/v1/forced-inclusions",
    operationId: "listForcedInclusions",
    tag: "batches",
    summary: "Forced inclusions processed, newest first",
    description: "`block[…]` bounds the L1 block that processed them.",
    params: [...PAGE, "block[gte]", "block[lt]"],
    run: (db, q) => listForcedInclusions(db, q),
  },
  {
    path: "/v1/batches",
    operationId: "listBatches",
    tag: "batches",
    summary: "Proposed batches, newest first, each once",
    description: "`block[…]` bounds the L1 block of the proposal, `address` selects one proposer.",
    params: L2_LIST,
    run: (db, q) => listBatches(db, q),
  },
  {
    path: "/v1/batch-cadence",
    operationId: "listBatchCadence",
    tag: "batches",
    summary: "Seconds between consecutive batch proposals, with the window's statistics",
    params: L2_LIST,
    run: async (db, q) => {
      const page = await listBatches(db, q);
      return {
        stats: await readStats(db, chainMetricQueriesOf(db).batchCadence, q.range),
        items: page.items.map((b) => ({
          batchId: b.batchId,
          proposedAt: b.proposedAt,
          seconds: b.secondsSincePrevious,
        })),
        nextCursor: page.nextCursor,
      };
    },
  },
  {
    path: "/v1/blobs-per-batch",
    operationId: "listBlobsPerBatch",
    tag: "batches",
    summary: "Blobs per proposed batch",
    params: L2_LIST,
    run: async (db, q) => {
      const page = await listBatches(db, q);
      return {
        items: page.items.map((b) => ({ batchId: b.batchId, blobCount: b.blobCount })),
        nextCursor: page.nextCursor,
      };
    },
  },
  {
    path: "/v1/prove-times",
    operationId: "listProveTimes",
    tag: "batches",
    summary: "Prove time per batch and the window's average",
    description:
      "L1 time of the block holding the batch's first canonical proof − L1 time of the block it was proposed in. Placed in the window by the proof's time.",
    params: PAGE,
    run: async (db, q) => ({
      stats: await readProveTimeStats(db, q.range),
      ...(await listProveTimes(db, q)),
    }),
  },
  {
    path: "/v1/verify-times",
    operationId: "listVerifyTimes",
    tag: "batches",
    summary: "Verify time per BatchesVerified (Pacaya) and the window's average",
    description:
      "L1 time of the BatchesVerified block − L1 time of the BatchesProved block whose transition block hash it names. Placed in the window by the verification's time.",
    params: PAGE,
    run: async (db, q) => ({
      stats: await readVerifyTimeStats(db, q.range),
      ...(await listVerifyTimes(db, q)),
    }),
  },
  {
    path: "/v1/failed-proposals",
    operationId: "listFailedProposals",
    tag: "batches",
    summary: "Batches proposed by someone other than the sequencer of their L2 blocks",
    params: [...PAGE, "address"],
    run: (db, q) => listFailedProposals(db, q),
  },
  {
    path: "/v1/fees",
    operationId: "getFees",
    tag: "chain",
    summary: "Fee totals, L1 data cost, proving cost and sequencer profit in the window (wei)",
    description:
      "Over canonical blocks only. Fees: tips and base fee of the L2 blocks in the window, anchor transaction excluded, and the base fee shared with the sequencer (the block header's sharing %). L1 data cost and proving cost: gasUsed × effectiveGasPrice + blobGasUsed × blobGasPrice of the proposing and proving L1 transactions in the window. sequencerProfitWei = priorityFeeWei + sharedBaseFeeWei − l1DataCostWei − provingCostWei (may be negative). Amounts are decimal strings.",
    params: WINDOW,
    run: (db, q) => computeFeeMetrics(db, { since: q.range.gte, until: q.range.lt }),
  },
  {
    path: "/v1/preconf-operators",
    operationId: "listPreconfOperators",
    tag: "chain",
    summary: "Preconfirmation operators per epoch (current, next, candidates), newest epoch first",
    description:
      "From the network's PreconfWhitelist, read at each epoch's first L1 block and at every block that changed the operator set; one item per epoch, as its latest canonical read found it. `created[…]` bounds the epoch's start time.",
    params: PAGE,
    run: (db, q) => listPreconfEpochs(db, q),
  },
  {
    path: "/v1/dashboard-data",
    operationId: "getDashboardData",
    tag: "dashboard",
    summary: "Every dashboard card and chart in one call",
    description: "`limit` is the number of points per chart (the latest ones in the window).",
    params: [...WINDOW, "limit"],
    run: (db, q, cards) => readDashboardData(db, q, cards),
  },
];
