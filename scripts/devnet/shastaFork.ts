import {
  type Address,
  concatHex,
  encodeFunctionData,
  type Hex,
  numberToHex,
  parseGwei,
  toHex,
  zeroHash,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { GOLDEN_TOUCH_ADDRESS, shastaAnchorAbi } from "../../lambdas/shared/taiko/shastaAbi.js";
import type { MinedBlock } from "./createChainMiner.js";
import type { Prng, Range } from "./createPrng.js";
import { DevnetError } from "./DevnetError.js";
import { devnetShastaInboxAbi } from "./devnetShastaAbi.js";

/*
 * The devnet's Shasta side (issue 12): from an L1 time fixed at deployment, the devnet stops proposing
 * on the Pacaya inbox (its last batches are still proved and verified there, as TaikoInbox does), calls
 * `activate()` on the Shasta inbox, and from then on:
 *
 * - every L2 block whose timestamp is at or past the activation is a Shasta block: its first
 *   transaction is `Anchor.anchorV4(Checkpoint)` from the golden-touch account, and its header's
 *   extraData is 7 bytes, [basefeeSharingPctg][proposalId, uint48 big-endian] (Derivation.md). anvil
 *   mines its own headers and has no way to set extraData, so the devnet serves the L2 through a small
 *   JSON-RPC proxy (extraDataProxy.ts) that puts each Shasta block's extraData into every block the
 *   node returns; block hashes stay the node's. The block → proposal id assignment is decided when a
 *   block is mined, so an L2 reorg (which only touches unproposed blocks) keeps each height's proposal.
 * - one proposal per L1 block (the inbox refuses two), with 1–3 sources: the proposer's own and up to
 *   two queued forced inclusions; forced inclusions are saved now and then and included later;
 * - aggregated proofs whose range starts up to two proposals inside the finalized part;
 * - bond deposits (before and after activation), a withdrawal requested, cancelled and a withdrawal;
 *   liveness bonds settled now and then; one StateRecovered and one ForcedInclusionsVoided.
 */

/**
 * Anvil-style test key of Taiko's golden-touch account, public by design: the protocol signs anchor
 * transactions with it (LibL2Signer.GOLDEN_TOUCH_PRIVATEKEY in taiko-mono's packages/protocol).
 */
const GOLDEN_TOUCH_PRIVATE_KEY = "0x92954368afd3caa1f3ce3ead0069c1af414054aefe1ef9aeacc1bf426222ce38";
const goldenTouch = privateKeyToAccount(GOLDEN_TOUCH_PRIVATE_KEY);
if (goldenTouch.address.toLowerCase() !== GOLDEN_TOUCH_ADDRESS) {
  throw new DevnetError("the golden-touch key does not derive GOLDEN_TOUCH_ADDRESS");
}

/** The devnet's L2 anchor proxy (mainnet's address; anvil holds a no-op contract there). */
export const DEVNET_L2_ANCHOR: Address = "0x1670000000000000000000000000000000010001";
/** Anchor.sol: the anchor transaction's gas limit is exactly 1,000,000. */
const ANCHOR_GAS = 1_000_000n;
/** The devnet inbox's constructor: base-fee sharing 75 % (Pacaya's BASE_FEE_CONFIG) and a 1-hour withdrawal delay. */
export const DEVNET_SHASTA_CONSTRUCTOR = { basefeeSharingPctg: 75, withdrawalDelay: 3_600 } as const;

export interface ShastaPendingProof {
  readonly id: number;
  readonly proveAt: number;
  readonly proposer: number;
}

export interface ShastaForkState {
  readonly inbox: Address;
  /** L1/L2 time from which the fork is in force; on the L1 tick grid, so that tick activates it. */
  readonly activationTs: number;
  activated: boolean;
  /** The proposal id the next L2 block is given, and how many blocks its group still takes. */
  openProposalId: number;
  openLeft: number;
  /** Proposed, not yet finalized, in id order. */
  readonly pending: ShastaPendingProof[];
  lastFinalized: number;
  /** Forced inclusions saved and not yet proposed (the devnet inbox's queue length − head). */
  queued: number;
  /** L1 ticks since activation: the schedule of the one-off events. */
  ticks: number;
  proofs: number;
  anchorNonce: number;
  /** extraData of every Shasta L2 block the node holds (orphans included: the proxy answers by hash). */
  readonly extraData: Map<string, Hex>;
  readonly stats: ShastaStats;
}

export interface ShastaStats {
  activatedInL1Block: number | undefined;
  proposals: number;
  proofs: number;
  forcedInclusionsSaved: number;
  forcedInclusionsIncluded: number;
  bondEvents: number;
  shastaL2Blocks: number;
}

/** What the Shasta side needs from the devnet that runs it. */
export interface ShastaHost {
  readonly rng: Prng;
  readonly proposalSize: Range;
  readonly proveDelayL1Blocks: Range;
  readonly l1Tick: number;
  /** Signs an L1 transaction from dev account `from` (nonces tracked by the devnet). */
  signL1(
    from: number,
    tx: { to: Address; data: Hex; value?: bigint; gas: bigint; blobs?: number },
  ): Promise<Hex>;
  readonly prover: number;
  readonly proverAddress: Address;
  accountAddress(i: number): Address;
}

/** An unproposed L2 block as the devnet tracks it. */
export interface ShastaL2Block extends MinedBlock {
  readonly sequencer: number;
  readonly proposalId?: number;
}

export function createShastaForkState(p: {
  inbox: Address;
  activationTs: number;
  firstSize: number;
}): ShastaForkState {
  return {
    inbox: p.inbox,
    activationTs: p.activationTs,
    activated: false,
    openProposalId: 1,
    openLeft: p.firstSize,
    pending: [],
    lastFinalized: 0,
    queued: 0,
    ticks: 0,
    proofs: 0,
    anchorNonce: 0,
    extraData: new Map(),
    stats: {
      activatedInL1Block: undefined,
      proposals: 0,
      proofs: 0,
      forcedInclusionsSaved: 0,
      forcedInclusionsIncluded: 0,
      bondEvents: 0,
      shastaL2Blocks: 0,
    },
  };
}

/** The 7-byte Shasta extraData: [basefeeSharingPctg][proposalId as uint48, big-endian]. */
export function shastaExtraData(basefeeSharingPctg: number, proposalId: number): Hex {
  return concatHex([numberToHex(basefeeSharingPctg, { size: 1 }), numberToHex(proposalId, { size: 6 })]);
}

/** The proposal id a new Shasta L2 block gets (groups of `proposalSize` blocks). */
export function nextL2ProposalId(f: ShastaForkState, host: Pick<ShastaHost, "rng" | "proposalSize">): number {
  if (f.openLeft <= 0) {
    f.openProposalId++;
    f.openLeft = host.rng.int(host.proposalSize);
  }
  f.openLeft--;
  return f.openProposalId;
}

/** The signed anchor transaction a Shasta L2 block starts with, anchored to the L1 head. */
export async function anchorTx(
  f: ShastaForkState,
  l2: { chainId: number; maxFeePerGas: bigint },
  l1Head: { number: number; hash: Hex },
): Promise<Hex> {
  const data = encodeFunctionData({
    abi: shastaAnchorAbi,
    functionName: "anchorV4",
    args: [{ blockNumber: l1Head.number, blockHash: l1Head.hash, stateRoot: zeroHash }],
  });
  return goldenTouch.signTransaction({
    chainId: l2.chainId,
    type: "eip1559",
    nonce: f.anchorNonce++,
    to: DEVNET_L2_ANCHOR,
    data,
    gas: ANCHOR_GAS,
    maxFeePerGas: l2.maxFeePerGas,
    maxPriorityFeePerGas: 0n,
  });
}

/**
 * The key under which a Shasta L2 block's extraData waits while the block is being mined: its parent
 * and timestamp, known before its hash. The node may serve the block before `mine` returns its hash;
 * the proxy then finds the extraData here, so no reader ever sees a Shasta block without it (on a real
 * chain extraData is part of the block).
 */
export function pendingExtraDataKey(parentHash: string, timestamp: number): string {
  return `pending:${parentHash.toLowerCase()}@${timestamp}`;
}

/** Registers the extraData of the Shasta L2 block about to be mined on `parentHash` at `timestamp`. */
export function expectShastaL2Block(
  f: ShastaForkState,
  parentHash: Hex,
  timestamp: number,
  proposalId: number,
): void {
  f.extraData.set(
    pendingExtraDataKey(parentHash, timestamp),
    shastaExtraData(DEVNET_SHASTA_CONSTRUCTOR.basefeeSharingPctg, proposalId),
  );
}

/** Records a mined Shasta L2 block's extraData for the proxy, by its hash. */
export function recordShastaL2Block(f: ShastaForkState, block: { hash: Hex }, proposalId: number): void {
  f.extraData.set(
    block.hash.toLowerCase(),
    shastaExtraData(DEVNET_SHASTA_CONSTRUCTOR.basefeeSharingPctg, proposalId),
  );
  f.stats.shastaL2Blocks++;
}

/** The golden-touch account's funding and the anchor's code on the L2 (a STOP: anchorV4 succeeds, does nothing). */
export const L2_SETUP = {
  goldenTouch: GOLDEN_TOUCH_ADDRESS as Address,
  anchorCode: "0x00" as Hex,
  funds: toHex(10n ** 24n),
};

const call = (functionName: string, args: readonly unknown[]): Hex =>
  encodeFunctionData({ abi: devnetShastaInboxAbi, functionName, args } as never);

/**
 * The Shasta transactions of one L1 tick, in order: activation (once), then one proposal of the oldest
 * complete group, the proof due, and the tick's scheduled bond / save / recovery events.
 */
export async function shastaTickTxs(
  f: ShastaForkState,
  host: ShastaHost,
  p: { unproposed: ShastaL2Block[]; lastPacayaBlockHash: Hex; settling: boolean; timestamp: number },
): Promise<Hex[]> {
  const raws: Hex[] = [];
  if (!f.activated) {
    if (p.timestamp < f.activationTs) return raws;
    f.activated = true;
    raws.push(
      await host.signL1(9, { to: f.inbox, data: call("activate", [p.lastPacayaBlockHash]), gas: 200_000n }),
    );
  }
  f.ticks++;
  const proposal = await proposeGroup(f, host, p);
  if (proposal) raws.push(proposal);
  raws.push(...(await proveDue(f, host)));
  raws.push(...(await scheduledEvents(f, host)));
  return raws;
}

async function proposeGroup(
  f: ShastaForkState,
  host: ShastaHost,
  p: { unproposed: ShastaL2Block[]; settling: boolean; timestamp: number },
): Promise<Hex | undefined> {
  const first = p.unproposed[0];
  if (first?.proposalId === undefined) return undefined;
  const id = first.proposalId;
  let size = 0;
  while (p.unproposed[size]?.proposalId === id) size++;
  // A group is complete once a later block names the next proposal (or the story is settling).
  const complete = size < p.unproposed.length || p.settling;
  if (!complete) return undefined;
  if (p.settling && size === p.unproposed.length && f.openProposalId === id) f.openLeft = 0;
  const blocks = p.unproposed.splice(0, size);
  const last = blocks.at(-1) as ShastaL2Block;
  const forced = Math.min(f.queued, host.rng.int([0, 2]));
  f.queued -= forced;
  const blobs = Array.from({ length: host.rng.int([1, 3]) }, () => host.rng.bytes32());
  f.pending.push({
    id,
    proveAt: host.l1Tick + host.rng.int(host.proveDelayL1Blocks),
    proposer: last.sequencer,
  });
  f.stats.proposals++;
  f.stats.forcedInclusionsIncluded += forced;
  const data = call("propose", [p.timestamp + 384, blobs, host.rng.int([0, 4_096]), forced]);
  // The transaction carries as many (zero) blobs as its source names, so it pays blob gas as on mainnet.
  return host.signL1(last.sequencer, { to: f.inbox, data, gas: 600_000n, blobs: blobs.length });
}

/** One aggregated proof of every contiguous due proposal, its range starting up to two finalized ones back. */
async function proveDue(f: ShastaForkState, host: ShastaHost): Promise<Hex[]> {
  let count = 0;
  while (f.pending[count] !== undefined && (f.pending[count] as ShastaPendingProof).proveAt <= host.l1Tick)
    count++;
  if (count === 0) return [];
  const proved = f.pending.splice(0, count);
  const last = (proved.at(-1) as ShastaPendingProof).id;
  const first = Math.max(1, f.lastFinalized + 1 - host.rng.int([0, 2]));
  f.lastFinalized = last;
  f.proofs++;
  f.stats.proofs++;
  const raws = [
    await host.signL1(host.prover, {
      to: f.inbox,
      data: call("prove", [first, last, host.proverAddress]),
      gas: 150_000n,
    }),
  ];
  if (f.proofs % 3 === 0) {
    // A late proof's liveness bond, paid by the proposer of the range's last proposal.
    const payer = host.accountAddress((proved.at(-1) as ShastaPendingProof).proposer);
    raws.push(
      await host.signL1(host.prover, {
        to: f.inbox,
        data: call("settleLivenessBond", [payer, host.proverAddress, BigInt(host.rng.int([1_000, 50_000]))]),
        gas: 120_000n,
      }),
    );
    f.stats.bondEvents++;
  }
  return raws;
}

/** The one-off and periodic events, by Shasta tick: the withdrawal story, saves, one recovery, one void. */
async function scheduledEvents(f: ShastaForkState, host: ShastaHost): Promise<Hex[]> {
  const raws: Hex[] = [];
  const tx = async (from: number, functionName: string, args: readonly unknown[], value?: bigint) => {
    raws.push(await host.signL1(from, { to: f.inbox, data: call(functionName, args), gas: 200_000n, value }));
  };
  const t = f.ticks;
  if (t === 2) await tx(0, "requestWithdrawal", []);
  if (t === 3) await tx(0, "cancelWithdrawal", []);
  if (t === 4) await tx(0, "withdraw", [1_000n]);
  if (t === 5) await tx(1, "depositTo", [host.accountAddress(2), 5_000n]);
  if (t === 2 || t === 3 || t === 4 || t === 5) f.stats.bondEvents++;
  const save = async () => {
    await tx(
      7,
      "saveForcedInclusion",
      [[host.rng.bytes32()], host.rng.int([0, 4_096])],
      parseGwei(String(host.rng.int([1, 900]))),
    );
    f.queued++;
    f.stats.forcedInclusionsSaved++;
  };
  if (t % 4 === 1 && f.stats.proposals > 0) await save();
  if (t === 7 && f.lastFinalized > 0) await tx(9, "recoverState", [f.lastFinalized, host.rng.bytes32()]);
  if (t === 9 && f.stats.proposals > 0) {
    // Unzen's init3: the queue is voided; what was saved before is never included.
    await save();
    await tx(9, "voidForcedInclusions", []);
    f.queued = 0;
  }
  return raws;
}

/** The bond deposits the sequencers make before activation (the inbox takes them at any time). */
export async function initialDeposits(
  f: ShastaForkState,
  host: Pick<ShastaHost, "signL1">,
  sequencers: number,
): Promise<Hex[]> {
  const raws: Hex[] = [];
  for (let i = 0; i < sequencers; i++) {
    raws.push(
      await host.signL1(i, { to: f.inbox, data: call("deposit", [10_000_000n + BigInt(i)]), gas: 120_000n }),
    );
    f.stats.bondEvents++;
  }
  return raws;
}

/**
 * Shasta L1 ticks after which every one-off event of scheduledEvents has had its tick (the void at 9), so
 * every Shasta table has something to verify.
 */
export const SHASTA_STORY_TICKS = 10;

/** The fork is in force and its story has run SHASTA_STORY_TICKS ticks (true when Shasta never activates). */
export const shastaStoryTold = (f: ShastaForkState | undefined): boolean =>
  f === undefined || (f.activated && f.ticks >= SHASTA_STORY_TICKS);

/** Anything proposed-but-unfinalized, or blocks waiting for a proposal: settle() keeps ticking. */
export const shastaBusy = (f: ShastaForkState | undefined, unproposed: readonly ShastaL2Block[]): boolean =>
  f?.activated === true && (f.pending.length > 0 || unproposed.some((b) => b.proposalId !== undefined));
