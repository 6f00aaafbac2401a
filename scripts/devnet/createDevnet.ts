import { setTimeout as sleep } from "node:timers/promises";
import {
  type Address,
  concatHex,
  createTestClient,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  http,
  keccak256,
  parseGwei,
  zeroHash,
} from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";
import { compileDevnetContracts } from "./compile.js";
import {
  type BlockRef,
  type ChainMiner,
  createChainMiner,
  DEVNET_RPC_TIMEOUT_MS,
  type MinedBlock,
} from "./createChainMiner.js";
import { createPrng } from "./createPrng.js";
import { DevnetError } from "./DevnetError.js";
import { devnetInboxAbi, devnetInboxWrapperAbi } from "./devnetAbi.js";
import { type DevnetKnobs, type ResolvedDevnetKnobs, resolveDevnetKnobs } from "./devnetKnobs.js";
import { devnetShastaInboxAbi } from "./devnetShastaAbi.js";
import { deployPreconfWhitelist, type PreconfWhitelistHost, preconfTickTxs } from "./preconfWhitelist.js";
import {
  anchorTx,
  createShastaForkState,
  DEVNET_L2_ANCHOR,
  DEVNET_SHASTA_CONSTRUCTOR,
  expectShastaL2Block,
  initialDeposits,
  L2_SETUP,
  nextL2ProposalId,
  pendingExtraDataKey,
  recordShastaL2Block,
  type ShastaForkState,
  type ShastaHost,
  type ShastaStats,
  shastaBusy,
  shastaStoryTold,
  shastaTickTxs,
} from "./shastaFork.js";
import { zeroBlobSidecars } from "./zeroBlobs.js";

/*
 * The story the driver tells, and the choices that keep it consistent:
 *
 * - One virtual chain clock drives both nodes: every block gets an explicit timestamp, so the
 *   devnet runs as fast as the nodes mine, and `pacingMsPerL2Block` alone ties it to the wall clock.
 * - Sequencers are dev accounts 0…n−1: an L2 block's coinbase is its sequencer, and a batch is
 *   proposed on L1 by the sequencer of its last block. Account 5 proves and verifies; 9 deploys.
 * - L2 reorgs only replace blocks that no batch covers yet (a preconfirmation reorg, the kind a
 *   Taiko L2 sees). Proposed blocks are never touched, so every canonical L2 block ends up in exactly
 *   one batch and a batch's transition hashes stay canonical. The dropped transactions are re-included
 *   in the replacement blocks, which get new timestamps and re-drawn coinbases (hence new hashes).
 * - L1 reorgs roll back recent blocks (never the deployment), mine one extra empty block, then
 *   re-include every dropped transaction, same raw bytes, same hash, one block later than before. All
 *   are re-included, in order, so nonces stay contiguous and the inbox replays into the same state:
 *   the batch story is unchanged, only the L1 blocks (and proposedIn/proposedAt) that carry it move.
 *   A re-included proposal keeps its anchorBlockHash, which may then name an orphaned L1 block: the
 *   devnet inbox does not check anchors.
 * - Every random choice comes from one seeded PRNG, drawn in an order that depends only on earlier
 *   draws, so a seed replays the same story (block hashes differ, since genesis times differ).
 */

export interface CreateDevnetParameters {
  /** JSON-RPC URL of the anvil node playing L1 (the inbox contracts are deployed here). */
  readonly l1Url: string;
  /** JSON-RPC URL of the anvil node playing the Taiko L2. */
  readonly l2Url: string;
  /** The same seed (and knobs) replays the same story. @default 1 */
  readonly seed?: number | string;
  readonly knobs?: Partial<DevnetKnobs>;
  /**
   * Awaited before a drawn reorg drops blocks, with the chain and the highest block it will drop (the
   * head): a watcher's chance to have seen them first. Absent, a reorg comes whenever it is drawn.
   */
  readonly beforeReorg?: (chain: "l1" | "l2", head: number) => Promise<void>;
}

export interface DevnetAddresses {
  readonly inbox: Address;
  readonly wrapper: Address;
  /** L1 block holding both deployments; the driver never reorgs it or anything before it. */
  readonly deployedInL1Block: number;
  /** First L2 block a batch covers (the L2 head at deployment + 1). */
  readonly firstL2BlockId: number;
  /** The Shasta inbox (deployed with the others) and the L1/L2 time Shasta activates at; absent when it never does. */
  readonly shasta?: { readonly inbox: Address; readonly activationTimestamp: number };
  /** The L2 anchor proxy Shasta blocks' first transaction calls. */
  readonly l2Anchor: Address;
  /** The PreconfWhitelist (preconfWhitelist.ts): the operators of each epoch, read by calls. */
  readonly preconfWhitelist: Address;
  readonly l1ChainId: number;
  readonly l2ChainId: number;
}

export interface DevnetRunParameters {
  /** Stop after this many L2 blocks. */
  readonly l2Blocks?: number;
  /** Stop after this much wall-clock time. */
  readonly durationMs?: number;
  /**
   * With `durationMs`: go on past it, unpaced, until the Shasta fork is in force and its story told
   * (shastaStoryTold), so that a timed run crosses the fork however slow the machine; the fork is a
   * chain time, so a block count (shastaActivationDelaySec ÷ l2BlockTimeSec L2 blocks), not a wall-clock
   * one. `l2Blocks` and the signal still end the run. @default false
   */
  readonly throughShasta?: boolean;
  readonly signal?: AbortSignal;
}

export interface ReorgCounts {
  readonly total: number;
  /** Number of reorgs per depth (blocks dropped). */
  readonly byDepth: Readonly<Record<number, number>>;
}

export interface DevnetStats {
  /** Canonical blocks the driver mined after the deployment block. */
  readonly l1Blocks: number;
  /** Canonical L2 blocks the driver mined. */
  readonly l2Blocks: number;
  /** Transfers in canonical L2 blocks. */
  readonly l2Txs: number;
  readonly batchesProposed: number;
  readonly batchesProved: number;
  readonly batchesVerified: number;
  readonly forcedInclusions: number;
  /** Highest L2 block covered by a proposed batch. */
  readonly lastProposedL2BlockId: number;
  readonly reorgs: { readonly l1: ReorgCounts; readonly l2: ReorgCounts };
  readonly orphanedBlocks: { readonly l1: number; readonly l2: number };
  /** Transactions mined again, same hash, in a replacement block after a reorg. */
  readonly reincludedTxs: { readonly l1: number; readonly l2: number };
  /** The Shasta side (zeros until activation; absent when Shasta never activates). */
  readonly shasta?: Readonly<ShastaStats>;
}

/** A reorg the driver injected, as a watcher of the chain should come to see it. */
export interface InjectedReorg {
  readonly chain: "l1" | "l2";
  /** A plain reorg, the two halves of an A→B→A flip, or the deep L2 reorg (`l2DeepReorg`). */
  readonly kind: "reorg" | "flipToB" | "flipBackToA" | "deep";
  /** Blocks of an earlier chain made canonical again, same hashes (the flip back to A). */
  readonly restored: readonly { readonly number: number; readonly hash: Hex }[];
  readonly depth: number;
  readonly commonAncestor: { readonly number: number; readonly hash: Hex };
  readonly orphaned: readonly { readonly number: number; readonly hash: Hex }[];
  readonly newHead: { readonly number: number; readonly hash: Hex };
  readonly reincludedTxHashes: readonly Hex[];
}

export interface Devnet {
  readonly seed: number | string;
  readonly knobs: ResolvedDevnetKnobs;
  /** Throws until `deploy()` has run. */
  readonly inboxAddress: Address;
  /** Throws until `deploy()` has run. */
  readonly wrapperAddress: Address;
  /** A snapshot of the counters. */
  readonly stats: DevnetStats;
  /** Every reorg injected so far, oldest first. */
  readonly reorgs: readonly InjectedReorg[];
  /** The 7-byte extraData of a Shasta L2 block (by hash), which the node cannot set itself (extraDataProxy.ts). */
  extraDataOf(blockHash: string, mined?: { parentHash: string; timestamp: number }): Hex | undefined;
  /**
   * Signs a call from the devnet's spare account (8) and mines it in the next L1 block (re-included like
   * every L1 transaction after a reorg); resolves with its transaction hash.
   */
  queueL1Call(call: { readonly to: Address; readonly data: Hex; readonly gas: bigint }): Promise<Hex>;
  /** Takes control of both nodes' mining and deploys the inbox and wrapper on L1. Idempotent. */
  deploy(): Promise<DevnetAddresses>;
  /** Mines one new canonical L2 block, preceded by any L1 blocks due before it and by any reorg drawn. */
  step(): Promise<void>;
  /** Steps until a limit is reached, the signal aborts or `stop()` is called; resolves with the stats. */
  run(parameters?: DevnetRunParameters): Promise<DevnetStats>;
  /**
   * Mines L1 blocks, without reorgs and without new L2 blocks, until every L2 block is proposed and
   * every batch proved and verified: the quiet end of a story, for asserting "nothing lost".
   */
  settle(): Promise<DevnetStats>;
  /** Ends a running `run()` after its current step; further calls are refused. Leaves the nodes running. */
  stop(): Promise<void>;
}

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNT_COUNT = 10;
const PROVER = 5;
const DEPLOYER = 9;
/** Sends the calls queued with `queueL1Call` (on L1 only). */
const SPARE = 8;
/** Bounds how much backlog one L1 block clears, like a proposer limited by gas. */
const MAX_PROPOSALS_PER_L1_BLOCK = 4;
/** Taiko mainnet (Pacaya) base fee settings, carried in every BatchInfo. */
const BASE_FEE_CONFIG = {
  adjustmentQuotient: 8,
  sharingPctg: 75,
  gasIssuancePerSecond: 5_000_000,
  minGasExcess: 1_344_899_430n,
  maxGasIssuancePerBlock: 600_000_000,
} as const;

let devAccounts: readonly HDAccount[] | undefined;
/** Anvil's default funded accounts, derived once per process (≈ 0.3 s). */
function getDevAccounts(): readonly HDAccount[] {
  devAccounts ??= Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) =>
    mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }),
  );
  return devAccounts;
}

interface Chain {
  readonly miner: ChainMiner;
  chainId: number;
  /** Next nonce per dev account; stays right across reorgs because every dropped tx is re-included. */
  nonces: number[];
  maxFeePerGas: bigint;
  head: BlockRef;
}

interface L2Block extends MinedBlock {
  readonly sequencer: number;
  /** Shasta blocks: the proposal their extraData names. */
  readonly proposalId?: number;
}

interface PendingBatch {
  readonly id: number;
  readonly transition: { readonly parentHash: Hex; readonly blockHash: Hex; readonly stateRoot: Hex };
  /** Driver L1 tick (not block number: reorgs shift numbers) at which it gets proved / verified. */
  readonly proveAt: number;
  verifyAt?: number;
}

/** An A→B→A flip under way: the chain went from A to B and goes back to A's blocks at `backAt`. */
interface PendingFlip<B extends MinedBlock> {
  readonly ancestor: BlockRef;
  /** A's blocks above the ancestor, to mine again as they were. */
  readonly a: readonly B[];
  /** L1 tick (l1) or story block (l2) of the flip back. */
  readonly backAt: number;
  /** Blocks mined since the flip started (B's and those on top): all dropped by the flip back. */
  readonly above: MinedBlock[];
}

interface MutableReorgCounts {
  total: number;
  byDepth: Record<number, number>;
}

/** The devnet's state, shared by its steps. */
interface DevnetState {
  readonly seed: number | string;
  readonly knobs: ResolvedDevnetKnobs;
  readonly rng: ReturnType<typeof createPrng>;
  readonly l1: Chain;
  readonly l2: Chain;
  addresses: DevnetAddresses | undefined;
  nextL1Ts: number;
  nextL2Ts: number;
  /** Count of L1 ticks; the unit of prove and verify delays. */
  l1Tick: number;
  /** L1 blocks after the deployment, newest last, at most l1ReorgMaxDepth: the reorgable window. */
  l1Recent: MinedBlock[];
  /** Invariant: the canonical L2 blocks after the last proposed one, oldest first — and only these may reorg. */
  readonly l2Unproposed: L2Block[];
  /** Proposed, not yet verified, in batch id order. */
  readonly pending: PendingBatch[];
  nextBatchId: number;
  targetBatchSize: number;
  settling: boolean;
  /** The Shasta side, from deployment (undefined when it never activates). */
  shasta: ShastaForkState | undefined;
  readonly l2Url: string;
  readonly beforeReorg: CreateDevnetParameters["beforeReorg"];
  /** L2 blocks of the story so far (steps). */
  steps: number;
  /** Signed calls for the next L1 block (queueL1Call). */
  readonly queuedL1: Hex[];
  readonly flips: { l1?: PendingFlip<MinedBlock>; l2?: PendingFlip<L2Block> };
  readonly stats: MutableDevnetStats;
  readonly reorgs: InjectedReorg[];
}

/** DevnetStats as the steps update it. */
type MutableDevnetStats = {
  -readonly [K in Exclude<keyof DevnetStats, "reorgs" | "orphanedBlocks" | "reincludedTxs">]: DevnetStats[K];
} & {
  readonly reorgs: { readonly l1: MutableReorgCounts; readonly l2: MutableReorgCounts };
  readonly orphanedBlocks: { l1: number; l2: number };
  readonly reincludedTxs: { l1: number; l2: number };
};

export function createDevnet(parameters: CreateDevnetParameters): Devnet {
  const s = createDevnetState(parameters);
  let stopped = false;
  const stopController = new AbortController();
  let running: Promise<unknown> | undefined;
  // Steps never interleave: each one reads and extends the same two chains.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => {
      if (stopped) throw new DevnetError("the devnet was stopped");
      return fn();
    });
    tail = result.catch(() => undefined);
    return result;
  };
  const step = (): Promise<void> =>
    exclusive(async () => {
      await stepOnce(s);
      refreshCounts(s);
    });
  const snapshot = (): DevnetStats => structuredClone(s.stats);

  const run = async (runParameters: DevnetRunParameters = {}): Promise<DevnetStats> => {
    if (stopped) throw new DevnetError("the devnet was stopped");
    if (running) throw new DevnetError("run() is already running");
    requireDeployed(s);
    const { signal } = runParameters;
    const abort = signal ? AbortSignal.any([signal, stopController.signal]) : stopController.signal;
    const unfinished = () => runParameters.throughShasta === true && !shastaStoryTold(s.shasta);
    running = runSteps(s.knobs, step, runParameters, abort, unfinished);
    try {
      await running;
    } finally {
      running = undefined;
    }
    return snapshot();
  };

  return {
    seed: s.seed,
    knobs: s.knobs,
    get inboxAddress() {
      return requireDeployed(s).inbox;
    },
    get wrapperAddress() {
      return requireDeployed(s).wrapper;
    },
    get stats() {
      return snapshot();
    },
    get reorgs() {
      return [...s.reorgs];
    },
    extraDataOf: (hash, mined) =>
      s.shasta?.extraData.get(hash.toLowerCase()) ??
      (mined ? s.shasta?.extraData.get(pendingExtraDataKey(mined.parentHash, mined.timestamp)) : undefined),
    deploy: () => exclusive(() => deployDevnet(s)),
    queueL1Call: (call) =>
      exclusive(async () => {
        const raw = await sign(s.l1, SPARE, call);
        s.queuedL1.push(raw);
        return keccak256(raw);
      }),
    step,
    run,
    settle: () =>
      exclusive(async () => {
        await settleDevnet(s);
        return snapshot();
      }),
    stop: async () => {
      stopController.abort();
      const current = running;
      if (current) await current.catch(() => undefined);
      stopped = true;
      await tail;
    },
  };
}

function createDevnetState(parameters: CreateDevnetParameters): DevnetState {
  const knobs = resolveDevnetKnobs(parameters.knobs);
  const rng = createPrng(parameters.seed ?? 1);
  return {
    seed: parameters.seed ?? 1,
    knobs,
    rng,
    l1: blankChain(createChainMiner({ name: "l1", url: parameters.l1Url })),
    l2: blankChain(createChainMiner({ name: "l2", url: parameters.l2Url })),
    addresses: undefined,
    nextL1Ts: 0,
    nextL2Ts: 0,
    l1Tick: 0,
    l1Recent: [],
    l2Unproposed: [],
    pending: [],
    nextBatchId: 1,
    targetBatchSize: rng.int(knobs.batchSize),
    settling: false,
    shasta: undefined,
    l2Url: parameters.l2Url,
    beforeReorg: parameters.beforeReorg,
    steps: 0,
    queuedL1: [],
    flips: {},
    stats: {
      l1Blocks: 0,
      l2Blocks: 0,
      l2Txs: 0,
      batchesProposed: 0,
      batchesProved: 0,
      batchesVerified: 0,
      forcedInclusions: 0,
      lastProposedL2BlockId: 0,
      reorgs: { l1: { total: 0, byDepth: {} }, l2: { total: 0, byDepth: {} } },
      orphanedBlocks: { l1: 0, l2: 0 },
      reincludedTxs: { l1: 0, l2: 0 },
      shasta: undefined,
    },
    reorgs: [],
  };
}

function requireDeployed(s: DevnetState): DevnetAddresses {
  if (!s.addresses) throw new DevnetError("call deploy() before driving the devnet");
  return s.addresses;
}

/**
 * Steps until the block count, the duration or the signal says stop, paced as the knobs say; past the
 * duration while `unfinished()` (no pacing then: the time is already spent).
 */
async function runSteps(
  knobs: ResolvedDevnetKnobs,
  step: () => Promise<void>,
  { l2Blocks, durationMs }: DevnetRunParameters,
  abort: AbortSignal,
  unfinished: () => boolean,
): Promise<void> {
  const started = performance.now();
  let done = 0;
  const timeLeft = () =>
    durationMs === undefined ? Number.POSITIVE_INFINITY : started + durationMs - performance.now();
  while (!abort.aborted && (l2Blocks === undefined || done < l2Blocks) && (timeLeft() > 0 || unfinished())) {
    await step();
    done++;
    if (knobs.pacingMsPerL2Block > 0) {
      // Paced against the start, not the previous block, so slow steps do not accumulate drift.
      const wait = Math.min(started + done * knobs.pacingMsPerL2Block - performance.now(), timeLeft());
      if (wait > 0) await sleep(wait, undefined, { signal: abort }).catch(() => undefined);
    }
  }
}

/** Signs a transaction from dev account `from`; with `blobs`, a blob transaction carrying that many zero blobs (zeroBlobs.ts). */
function sign(
  chain: Chain,
  from: number,
  tx: { to?: Address; data?: Hex; value?: bigint; gas: bigint; blobs?: number },
): Promise<Hex> {
  const account = getDevAccounts()[from];
  const nonce = chain.nonces[from];
  if (!account || nonce === undefined) throw new DevnetError(`no dev account ${from}`);
  chain.nonces[from] = nonce + 1;
  const common = {
    chainId: chain.chainId,
    nonce,
    data: tx.data,
    value: tx.value ?? 0n,
    gas: tx.gas,
    maxFeePerGas: chain.maxFeePerGas,
    maxPriorityFeePerGas: parseGwei("0.1"),
  };
  if (tx.blobs && tx.to) {
    // The blob base fee starts at 1 wei and rises only past the target: 1 gwei is ample.
    const blobs = zeroBlobSidecars(tx.blobs);
    return account.signTransaction({
      ...common,
      ...blobs,
      type: "eip4844",
      to: tx.to,
      maxFeePerBlobGas: parseGwei("1"),
    });
  }
  return account.signTransaction({ ...common, type: "eip1559", to: tx.to ?? null });
}

function sequencerAddress(i: number): Address {
  const account = getDevAccounts()[i];
  if (!account) throw new DevnetError(`no dev account ${i}`);
  return account.address;
}

async function mineL1(
  s: DevnetState,
  timestamp: number,
  rawTxs: readonly Hex[],
  replay?: MinedBlock,
): Promise<MinedBlock> {
  const block = await s.l1.miner.mine({
    timestamp,
    rawTxs,
    requireSuccess: true,
    ...(replay ? { coinbase: replay.miner, baseFeePerGas: replay.baseFeePerGas } : {}),
  });
  s.flips.l1?.above.push(block);
  s.l1.head = block;
  s.l1Recent.push(block);
  if (s.l1Recent.length > s.knobs.l1ReorgMaxDepth) s.l1Recent = s.l1Recent.slice(-s.knobs.l1ReorgMaxDepth);
  return block;
}

async function mineL2(
  s: DevnetState,
  timestamp: number,
  sequencer: number,
  rawTxs: readonly Hex[],
  options: { readonly proposalId?: number; readonly baseFeePerGas?: bigint } = {},
): Promise<L2Block> {
  const { proposalId, baseFeePerGas } = options;
  if (proposalId !== undefined && s.shasta)
    expectShastaL2Block(s.shasta, s.l2.head.hash, timestamp, proposalId);
  const block = await s.l2.miner.mine({
    timestamp,
    coinbase: sequencerAddress(sequencer),
    rawTxs,
    ...(baseFeePerGas === undefined ? {} : { baseFeePerGas }),
  });
  s.flips.l2?.above.push(block);
  s.l2.head = block;
  if (proposalId !== undefined && s.shasta) recordShastaL2Block(s.shasta, block, proposalId);
  const l2Block = proposalId === undefined ? { ...block, sequencer } : { ...block, sequencer, proposalId };
  s.l2Unproposed.push(l2Block);
  return l2Block;
}

async function reorgL2(s: DevnetState, depth: number, kind: InjectedReorg["kind"] = "reorg"): Promise<void> {
  await s.beforeReorg?.("l2", s.l2.head.number);
  const dropped = s.l2Unproposed.splice(-depth);
  const ancestor = await s.l2.miner.rollback(depth);
  // The replacements are mined on the ancestor (a Shasta block's extraData is expected by its parent).
  s.l2.head = ancestor;
  let ts = ancestor.timestamp;
  for (const old of dropped) {
    // +1 s and a re-drawn coinbase: the replacement differs from the orphan at the same height.
    ts = Math.max(ts + 1, old.timestamp + 1);
    // A Shasta block keeps its proposal (its anchor transaction is re-included with the rest).
    await mineL2(s, ts, s.rng.weighted(s.knobs.sequencerWeights), old.rawTxs, { proposalId: old.proposalId });
  }
  recordReorg(s, "l2", depth, ancestor, dropped, kind);
}

async function reorgL1(s: DevnetState, depth: number, kind: InjectedReorg["kind"] = "reorg"): Promise<void> {
  await s.beforeReorg?.("l1", s.l1.head.number);
  const dropped = s.l1Recent.splice(-depth);
  const ancestor = await s.l1.miner.rollback(depth);
  const first = dropped[0];
  if (!first || ancestor.number !== first.number - 1) {
    throw new DevnetError("l1 rollback did not land on the expected ancestor", {
      context: { ancestor, depth },
    });
  }
  // The extra empty block makes every re-included transaction land one block later than before.
  let ts = Math.max(ancestor.timestamp + 1, first.timestamp + 1);
  await mineL1(s, ts, []);
  for (const old of dropped) {
    ts = Math.max(ts + 1, old.timestamp + 1);
    await mineL1(s, ts, old.rawTxs);
  }
  recordReorg(s, "l1", depth, ancestor, dropped, kind);
}

function recordReorg(
  s: DevnetState,
  chain: "l1" | "l2",
  depth: number,
  ancestor: BlockRef,
  dropped: readonly MinedBlock[],
  kind: InjectedReorg["kind"],
  restored: readonly MinedBlock[] = [],
): void {
  const reincludedTxHashes = dropped.flatMap((b) => b.txHashes);
  const counts = s.stats.reorgs[chain];
  counts.total++;
  counts.byDepth[depth] = (counts.byDepth[depth] ?? 0) + 1;
  s.stats.orphanedBlocks[chain] += dropped.length;
  s.stats.reincludedTxs[chain] += reincludedTxHashes.length;
  const head = chain === "l1" ? s.l1.head : s.l2.head;
  s.reorgs.push({
    chain,
    kind,
    restored: restored.map((b) => ({ number: b.number, hash: b.hash })),
    depth,
    commonAncestor: { number: ancestor.number, hash: ancestor.hash },
    orphaned: dropped.map((b) => ({ number: b.number, hash: b.hash })),
    newHead: { number: head.number, hash: head.hash },
    reincludedTxHashes,
  });
}

/** Signs the L1 transactions proposing the oldest `size` unproposed L2 blocks as the next batch. */
async function proposeBatch(s: DevnetState, size: number): Promise<Hex[]> {
  const { inbox } = requireDeployed(s);
  const blocks = s.l2Unproposed.splice(0, size);
  const last = blocks.at(-1);
  if (!last) throw new DevnetError("cannot propose an empty batch");
  const batchId = s.nextBatchId++;
  const txs = blocks.flatMap((b) => b.rawTxs);
  const txList: Hex = txs.length > 0 ? concatHex(txs) : "0x";
  const info = {
    txsHash: keccak256(txList),
    blocks: blocks.map((b, i) => ({
      numTransactions: b.txHashes.length,
      // Seconds after the previous block of the batch (0 for the first), as Taiko encodes it.
      timeShift: i === 0 ? 0 : Math.min(255, b.timestamp - (blocks[i - 1]?.timestamp ?? b.timestamp)),
      signalSlots: [],
    })),
    blobHashes: [],
    extraData: zeroHash,
    coinbase: sequencerAddress(last.sequencer),
    proposedIn: 0n, // set by the inbox from block.number
    blobCreatedIn: 0n,
    blobByteOffset: 0,
    blobByteSize: 0,
    gasLimit: Number(last.gasLimit),
    lastBlockId: BigInt(last.number),
    lastBlockTimestamp: BigInt(last.timestamp),
    anchorBlockId: BigInt(s.l1.head.number),
    anchorBlockHash: s.l1.head.hash,
    baseFeeConfig: BASE_FEE_CONFIG,
  };
  const raws: Hex[] = [];
  s.stats.batchesProposed++;
  if (s.knobs.forcedInclusionEvery > 0 && s.stats.batchesProposed % s.knobs.forcedInclusionEvery === 0) {
    // As on Taiko, the wrapper processes the forced inclusion just before the proposal it rides with.
    raws.push(await forcedInclusionTx(s, batchId, last.sequencer));
  }
  const data = encodeFunctionData({
    abi: devnetInboxAbi,
    functionName: "proposeBatch",
    args: [info, txList],
  });
  const gas = BigInt(Math.min(16_000_000, 400_000 + 40_000 * blocks.length + 80 * (txList.length / 2)));
  raws.push(await sign(s.l1, last.sequencer, { to: inbox, data, gas }));
  s.pending.push({
    id: batchId,
    transition: { parentHash: last.parentHash, blockHash: last.hash, stateRoot: last.stateRoot },
    proveAt: s.l1Tick + s.rng.int(s.knobs.proveDelayL1Blocks),
  });
  s.stats.lastProposedL2BlockId = last.number;
  return raws;
}

async function forcedInclusionTx(s: DevnetState, batchId: number, sequencer: number): Promise<Hex> {
  const inclusion = {
    blobHash: s.rng.bytes32(),
    feeInGwei: BigInt(s.rng.int([1, 1000])),
    createdAtBatchId: BigInt(batchId - 1),
    blobByteOffset: 0,
    blobByteSize: s.rng.int([1_000, 131_072]),
    blobCreatedIn: BigInt(s.l1.head.number),
  };
  const data = encodeFunctionData({
    abi: devnetInboxWrapperAbi,
    functionName: "processForcedInclusion",
    args: [inclusion],
  });
  s.stats.forcedInclusions++;
  return sign(s.l1, sequencer, { to: requireDeployed(s).wrapper, data, gas: 150_000n });
}

async function proveDue(s: DevnetState): Promise<Hex[]> {
  const due = s.pending.filter((b) => b.verifyAt === undefined && b.proveAt <= s.l1Tick);
  if (due.length === 0) return [];
  for (const b of due) b.verifyAt = s.l1Tick + s.rng.int(s.knobs.verifyDelayL1Blocks);
  s.stats.batchesProved += due.length;
  const data = encodeFunctionData({
    abi: devnetInboxAbi,
    functionName: "proveBatches",
    args: [due.map((b) => BigInt(b.id)), due.map((b) => b.transition)],
  });
  const gas = BigInt(150_000 + 60_000 * due.length);
  return [await sign(s.l1, PROVER, { to: requireDeployed(s).inbox, data, gas })];
}

/** Verification runs in batch order: it stops at the first batch not yet proved or not yet due. */
async function verifyDue(s: DevnetState): Promise<Hex[]> {
  let last: PendingBatch | undefined;
  let count = 0;
  while (s.pending[0]?.verifyAt !== undefined && s.pending[0].verifyAt <= s.l1Tick) {
    last = s.pending.shift();
    count++;
  }
  if (!last) return [];
  s.stats.batchesVerified += count;
  const data = encodeFunctionData({
    abi: devnetInboxAbi,
    functionName: "verifyBatches",
    args: [BigInt(last.id), last.transition.blockHash],
  });
  const gas = BigInt(80_000 + 5_000 * count);
  return [await sign(s.l1, PROVER, { to: requireDeployed(s).inbox, data, gas })];
}

async function tickL1(s: DevnetState, timestamp: number): Promise<void> {
  s.l1Tick++;
  const flip = s.flips.l1;
  // A scheduled reorg takes no draw, so the knob leaves every other seed's story as it was.
  const scheduled = s.knobs.l1ReorgAfterTicks.includes(s.l1Tick - 1);
  if (flip && (s.settling || flip.backAt <= s.l1Tick)) await flipBackL1(s, flip);
  else if (!flip && !s.settling && (scheduled || s.rng.chance(s.knobs.l1ReorgProbability))) {
    const drawn = scheduled ? 1 : s.rng.int([1, s.knobs.l1ReorgMaxDepth]);
    const depth = Math.min(drawn, s.l1Recent.length);
    if (depth > 0) await reorgL1(s, depth);
  }
  if (!s.flips.l1 && !s.settling && s.knobs.l1FlipProbability > 0 && s.rng.chance(s.knobs.l1FlipProbability))
    await flipToB(s, "l1");
  const raws: Hex[] = s.queuedL1.splice(0);
  const forkTick = s.shasta !== undefined && !s.shasta.activated && timestamp >= s.shasta.activationTs;
  // The Pacaya inbox takes no proposal once Shasta is in force; the activation tick proposes what is left.
  if (forkTick && s.l2Unproposed.length > 0) raws.push(...(await proposeBatch(s, s.l2Unproposed.length)));
  const proposals = deepReorgHold(s) || s.shasta?.activated || forkTick ? 0 : MAX_PROPOSALS_PER_L1_BLOCK;
  for (let n = 0; n < proposals; n++) {
    const size = s.settling ? Math.min(s.l2Unproposed.length, s.knobs.batchSize[1]) : s.targetBatchSize;
    if (size === 0 || s.l2Unproposed.length < size) break;
    raws.push(...(await proposeBatch(s, size)));
    if (!s.settling) s.targetBatchSize = s.rng.int(s.knobs.batchSize);
  }
  raws.push(...(await proveDue(s)));
  raws.push(...(await verifyDue(s)));
  if (s.shasta) {
    raws.push(
      ...(await shastaTickTxs(s.shasta, shastaHost(s), {
        // Held before the deep reorg (as Pacaya's are), so that it has enough unproposed blocks to replace.
        unproposed: deepReorgHold(s) ? [] : s.l2Unproposed,
        lastPacayaBlockHash: s.l2.head.hash,
        settling: s.settling,
        timestamp,
      })),
    );
  }
  const whitelist = requireDeployed(s).preconfWhitelist;
  raws.push(...(await preconfTickTxs(preconfHost(s), { whitelist, deployer: DEPLOYER, tick: s.l1Tick })));
  const block = await mineL1(s, Math.max(timestamp, s.l1.head.timestamp + 1), raws);
  if (forkTick && s.shasta) s.shasta.stats.activatedInL1Block = block.number;
}

/** The devnet as the whitelist's deployment and schedule see it (preconfWhitelist.ts). */
function preconfHost(s: DevnetState): PreconfWhitelistHost {
  return {
    signL1: (from, tx) => sign(s.l1, from, tx),
    accountAddress: sequencerAddress,
    nonceOf: (from) => s.l1.nonces[from] ?? 0,
  };
}

/** The devnet as the Shasta side sees it (shastaFork.ts). */
function shastaHost(s: DevnetState): ShastaHost {
  return {
    rng: s.rng,
    proposalSize: s.knobs.batchSize,
    proveDelayL1Blocks: s.knobs.proveDelayL1Blocks,
    l1Tick: s.l1Tick,
    signL1: (from, tx) => sign(s.l1, from, tx),
    prover: PROVER,
    proverAddress: sequencerAddress(PROVER),
    accountAddress: sequencerAddress,
  };
}

async function stepOnce(s: DevnetState): Promise<void> {
  requireDeployed(s);
  const { knobs, rng } = s;
  const ts = s.nextL2Ts;
  // L1 blocks due by now come first, so a batch only ever covers L2 blocks older than its L1 block.
  while (s.nextL1Ts <= ts) {
    await tickL1(s, s.nextL1Ts);
    s.nextL1Ts += knobs.l1BlockTimeSec;
  }
  s.steps++;
  const flip = s.flips.l2;
  if (flip && flip.backAt <= s.steps) await flipBackL2(s, flip);
  else if (!flip && rng.chance(knobs.l2ReorgProbability)) {
    const depth = Math.min(rng.int([1, knobs.l2ReorgMaxDepth]), s.l2Unproposed.length);
    if (depth > 0 && !pastFork(s, ts, depth)) await reorgL2(s, depth);
  }
  // A flip's B and the blocks on top of it take up to 6 more steps before A comes back.
  const flipStarts = knobs.l2FlipProbability > 0 && rng.chance(knobs.l2FlipProbability);
  if (!s.flips.l2 && flipStarts && !pastFork(s, ts, knobs.l2ReorgMaxDepth + 6)) await flipToB(s, "l2");
  if (knobs.l2DeepReorg?.atL2Block === s.steps) {
    const depth = Math.min(knobs.l2DeepReorg.depth, s.l2Unproposed.length);
    if (s.flips.l2) await flipBackL2(s, s.flips.l2);
    if (depth > 0 && !pastFork(s, ts, depth)) await reorgL2(s, depth, "deep");
  }
  const sequencer = rng.weighted(knobs.sequencerWeights);
  const count = rng.int(knobs.txPerBlock);
  const raws: Hex[] = [];
  // Past the activation every L2 block is a Shasta block: the anchor first, its proposal in extraData.
  const proposalId = s.shasta?.activated ? nextL2ProposalId(s.shasta, shastaHost(s)) : undefined;
  if (s.shasta && proposalId !== undefined) raws.push(await anchorTx(s.shasta, s.l2, s.l1.head));
  for (let i = 0; i < count; i++) {
    const from = rng.int([0, DEV_ACCOUNT_COUNT - 1]);
    const to = getDevAccounts()[rng.int([0, DEV_ACCOUNT_COUNT - 1])]?.address;
    const value = BigInt(rng.int([1, 1_000_000])) * 1_000_000_000n;
    raws.push(await sign(s.l2, from, { to, value, gas: 21_000n }));
  }
  const block = await mineL2(s, Math.max(ts, s.l2.head.timestamp + 1), sequencer, raws, { proposalId });
  s.stats.l2Txs += count;
  s.nextL2Ts = block.timestamp + knobs.l2BlockTimeSec;
}

function refreshCounts(s: DevnetState): void {
  const a = s.addresses;
  if (!a) return;
  s.stats.l1Blocks = s.l1.head.number - a.deployedInL1Block;
  s.stats.l2Blocks = s.l2.head.number - (a.firstL2BlockId - 1);
  if (s.shasta) s.stats.shasta = { ...s.shasta.stats };
}

/** Takes control of both nodes' mining and deploys the inbox and wrapper on L1, once. */
async function deployDevnet(s: DevnetState): Promise<DevnetAddresses> {
  if (s.addresses) return s.addresses;
  const { l1, l2, knobs } = s;
  const accounts = getDevAccounts();
  const artifacts = await compileDevnetContracts();
  for (const chain of [l1, l2]) {
    await chain.miner.takeControl();
    chain.chainId = await chain.miner.chainId();
    chain.nonces = await Promise.all(accounts.map((a) => chain.miner.nonce(a.address)));
    // Blocks stay far below target, so the base fee only falls: three times today's is ample.
    chain.maxFeePerGas = 3n * (await chain.miner.baseFee()) + parseGwei("1");
    chain.head = await chain.miner.head();
  }
  const clock = Math.max(l1.head.timestamp, l2.head.timestamp) + 1;
  const deployer = accounts[DEPLOYER]?.address as Address;
  const inbox = getContractAddress({ from: deployer, nonce: BigInt(l1.nonces[DEPLOYER] ?? 0) });
  const inboxTx = await sign(l1, DEPLOYER, {
    data: encodeDeployData({
      abi: devnetInboxAbi,
      bytecode: artifacts.inbox.bytecode,
      args: [BigInt(l2.head.number)],
    }),
    gas: 3_000_000n,
  });
  const wrapper = getContractAddress({ from: deployer, nonce: BigInt(l1.nonces[DEPLOYER] ?? 0) });
  const wrapperTx = await sign(l1, DEPLOYER, { data: artifacts.wrapper.bytecode, gas: 1_000_000n });
  const whitelist = await deployPreconfWhitelist(preconfHost(s), artifacts, {
    deployer: DEPLOYER,
    sequencers: knobs.sequencers,
  });
  const shasta = await deployShasta(s, artifacts.shastaInbox.bytecode, clock);
  const block = await l1.miner.mine({
    timestamp: clock,
    rawTxs: [inboxTx, wrapperTx, ...whitelist.rawTxs, ...shasta.rawTxs],
    requireSuccess: true,
  });
  l1.head = block;
  s.addresses = {
    inbox,
    wrapper,
    deployedInL1Block: block.number,
    firstL2BlockId: l2.head.number + 1,
    ...(s.shasta ? { shasta: { inbox: s.shasta.inbox, activationTimestamp: s.shasta.activationTs } } : {}),
    l2Anchor: DEVNET_L2_ANCHOR,
    preconfWhitelist: whitelist.address,
    l1ChainId: l1.chainId,
    l2ChainId: l2.chainId,
  };
  s.stats.lastProposedL2BlockId = l2.head.number;
  s.nextL1Ts = clock + knobs.l1BlockTimeSec;
  s.nextL2Ts = clock + knobs.l2BlockTimeSec;
  return s.addresses;
}

/**
 * The Shasta inbox's deployment and the sequencers' first bond deposits (in the deployment block:
 * the inbox takes deposits before activation), and on the L2 the anchor's code and the golden-touch
 * account's funds. Activation is on the L1 block grid, `shastaActivationDelaySec` after deployment.
 */
async function deployShasta(s: DevnetState, bytecode: Hex, clock: number): Promise<{ rawTxs: Hex[] }> {
  const delay = s.knobs.shastaActivationDelaySec;
  if (delay === 0) return { rawTxs: [] };
  const step = s.knobs.l1BlockTimeSec;
  const deployer = getDevAccounts()[DEPLOYER]?.address as Address;
  const inbox = getContractAddress({ from: deployer, nonce: BigInt(s.l1.nonces[DEPLOYER] ?? 0) });
  const deployTx = await sign(s.l1, DEPLOYER, {
    data: encodeDeployData({
      abi: devnetShastaInboxAbi,
      bytecode,
      args: [DEVNET_SHASTA_CONSTRUCTOR.basefeeSharingPctg, DEVNET_SHASTA_CONSTRUCTOR.withdrawalDelay],
    }),
    gas: 3_000_000n,
  });
  s.shasta = createShastaForkState({
    inbox,
    activationTs: clock + Math.ceil(delay / step) * step,
    firstSize: s.rng.int(s.knobs.batchSize),
  });
  const deposits = await initialDeposits(s.shasta, shastaHost(s), s.knobs.sequencers);
  const l2 = createTestClient({
    mode: "anvil",
    transport: http(s.l2Url, { retryCount: 0, timeout: DEVNET_RPC_TIMEOUT_MS }),
  });
  await l2.setBalance({ address: L2_SETUP.goldenTouch, value: BigInt(L2_SETUP.funds) });
  await l2.setCode({ address: DEVNET_L2_ANCHOR, bytecode: L2_SETUP.anchorCode });
  return { rawTxs: [deployTx, ...deposits] };
}

/** L1 blocks only, no reorgs, until every L2 block is proposed and every batch proved and verified. */
async function settleDevnet(s: DevnetState): Promise<void> {
  requireDeployed(s);
  if (s.flips.l2) await flipBackL2(s, s.flips.l2);
  s.settling = true;
  try {
    while (s.l2Unproposed.length > 0 || s.pending.length > 0 || shastaBusy(s.shasta, s.l2Unproposed)) {
      await tickL1(s, s.nextL1Ts);
      s.nextL1Ts += s.knobs.l1BlockTimeSec;
    }
    // Keep L2 time from falling behind the L1 time just spent.
    s.nextL2Ts = Math.max(s.nextL2Ts, s.nextL1Ts - s.knobs.l1BlockTimeSec + s.knobs.l2BlockTimeSec);
  } finally {
    s.settling = false;
  }
  refreshCounts(s);
}

function blankChain(miner: ChainMiner): Chain {
  return {
    miner,
    chainId: 0,
    nonces: [],
    maxFeePerGas: 0n,
    head: { number: 0, hash: zeroHash, timestamp: 0 },
  };
}

/** Replacements get later timestamps: an L2 reorg must not push a Pacaya block past the Shasta activation. */
const pastFork = (s: DevnetState, ts: number, depth: number): boolean =>
  s.shasta !== undefined && !s.shasta.activated && ts + depth >= s.shasta.activationTs;

/** The proposals pause before the deep L2 reorg, so that it can replace `depth` unproposed blocks. */
function deepReorgHold(s: DevnetState): boolean {
  const deep = s.knobs.l2DeepReorg;
  return (
    !s.settling &&
    deep !== undefined &&
    s.steps >= deep.atL2Block - deep.depth - 1 &&
    s.steps < deep.atL2Block
  );
}

/** The first half of an A→B→A flip: a reorg to B, remembering A's blocks (on L2 unproposed ones only). */
async function flipToB(s: DevnetState, chain: "l1" | "l2"): Promise<void> {
  const recent = chain === "l1" ? s.l1Recent : s.l2Unproposed;
  const maxDepth = chain === "l1" ? s.knobs.l1ReorgMaxDepth : s.knobs.l2ReorgMaxDepth;
  const depth = Math.min(s.rng.int([1, maxDepth]), recent.length);
  const a = recent.slice(-depth);
  const first = a[0];
  if (!first) return;
  const ancestor = { number: first.number - 1, hash: first.parentHash, timestamp: 0 };
  if (chain === "l1") {
    s.flips.l1 = { ancestor, a, backAt: s.l1Tick + s.rng.int([1, 3]), above: [] };
    await reorgL1(s, depth, "flipToB");
  } else {
    s.flips.l2 = { ancestor, a: a as L2Block[], backAt: s.steps + s.rng.int([2, 6]), above: [] };
    await reorgL2(s, depth, "flipToB");
  }
}

/**
 * Back to A on L1: B's blocks and those on top are dropped, A's blocks mined again as they were (same
 * hashes), then the transactions mined since the flip started (beyond A's, re-included in B) once more.
 */
async function flipBackL1(s: DevnetState, flip: PendingFlip<MinedBlock>): Promise<void> {
  s.flips.l1 = undefined;
  const dropped = flip.above;
  s.l1Recent = [];
  const ancestor = await restoreA(s, "l1", flip);
  // B is one empty block plus A's transactions, one block later: what is on top of it is new.
  let ts = s.l1.head.timestamp;
  for (const old of dropped.slice(flip.a.length + 1)) {
    ts = Math.max(ts + 1, old.timestamp);
    await mineL1(s, ts, old.rawTxs);
  }
  recordReorg(s, "l1", dropped.length, ancestor, dropped, "flipBackToA", flip.a);
}

/** Back to A on L2, if no batch has covered B's blocks meanwhile (then B simply stays). */
async function flipBackL2(s: DevnetState, flip: PendingFlip<L2Block>): Promise<void> {
  s.flips.l2 = undefined;
  const at = s.l2Unproposed.findIndex((b) => b.number === flip.ancestor.number + 1);
  if (at < 0) return;
  const dropped = s.l2Unproposed.splice(at);
  const ancestor = await restoreA(s, "l2", flip);
  let ts = s.l2.head.timestamp;
  for (const old of dropped.slice(flip.a.length)) {
    ts = Math.max(ts + 1, old.timestamp);
    await mineL2(s, ts, s.rng.weighted(s.knobs.sequencerWeights), old.rawTxs, { proposalId: old.proposalId });
  }
  recordReorg(s, "l2", dropped.length, ancestor, dropped, "flipBackToA", flip.a);
}

/**
 * Rolls the chain back to the flip's ancestor and mines A's blocks again exactly as they were (timestamp,
 * coinbase, transactions, base fee); anything else than A's very hashes means the flip failed.
 */
async function restoreA(
  s: DevnetState,
  chain: "l1" | "l2",
  flip: PendingFlip<MinedBlock> | PendingFlip<L2Block>,
): Promise<BlockRef> {
  const node = chain === "l1" ? s.l1 : s.l2;
  await s.beforeReorg?.(chain, node.head.number);
  const ancestor = await node.miner.rollback(node.head.number - flip.ancestor.number);
  if (ancestor.hash !== flip.ancestor.hash)
    throw new DevnetError(`${chain} flip: the rollback did not land on A's ancestor`, {
      context: { ancestor, flip: flip.ancestor },
    });
  // A's blocks are mined on the ancestor (a Shasta block's extraData is expected by its parent).
  node.head = ancestor;
  for (const b of flip.a) {
    const again =
      chain === "l1"
        ? await mineL1(s, b.timestamp, b.rawTxs, b)
        : await mineL2(s, b.timestamp, (b as L2Block).sequencer, b.rawTxs, {
            baseFeePerGas: b.baseFeePerGas,
            proposalId: (b as L2Block).proposalId,
          });
    if (again.hash !== b.hash)
      throw new DevnetError(`${chain} flip: block ${b.number} mined again is not A's block`, {
        context: { expected: b.hash, got: again.hash },
      });
  }
  return ancestor;
}
