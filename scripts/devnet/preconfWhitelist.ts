import {
  type Address,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  parseAbi,
} from "viem";
import type { CompiledContract } from "./compile.js";

/*
 * The devnet's preconfirmation whitelist (issue 12, item 5): contracts/DevnetPreconfWhitelist.sol, the
 * real contract's operator draw and views (taiko-mono @b9c5bb2) on a local L1. Deployed with the other
 * contracts, the sequencers already active (a whitelist that ran before the devnet); then, on the L1
 * tick schedule below, one operator is added (active two epochs later, as OPERATOR_CHANGE_DELAY says) and
 * one removed (at once: the epoch's operator may change mid-epoch). The ingestor reads it by calls.
 */

/** The devnet-only functions a driver calls; the views and events are read with preconfWhitelistAbi. */
export const devnetPreconfWhitelistAbi = parseAbi([
  "constructor(address _beaconRoots, address[] _proposers, address[] _sequencers)",
  "function addOperator(address _proposer, address _sequencer)",
  "function removeOperator(uint256 _operatorIndex)",
]);

/** L1 ticks after deployment at which the operator set changes. */
export const PRECONF_SCHEDULE = { addAtTick: 8, removeAtTick: 20 } as const;
/** The operator added mid-run: dev account 6 proposes, 7 preconfirms for it. */
const ADDED = { proposer: 6, sequencer: 7 } as const;

export interface PreconfWhitelistHost {
  /** Signs an L1 transaction from dev account `from` (nonces tracked by the devnet). */
  signL1(from: number, tx: { to?: Address; data: Hex; gas: bigint }): Promise<Hex>;
  accountAddress(i: number): Address;
  /** The next nonce of account `from`, before signing. */
  nonceOf(from: number): number;
}

/** The beacon-roots stand-in and the whitelist, deployed by `deployer` with `sequencers` active operators. */
export async function deployPreconfWhitelist(
  host: PreconfWhitelistHost,
  artifacts: { readonly beaconRoots: CompiledContract; readonly preconfWhitelist: CompiledContract },
  p: { readonly deployer: number; readonly sequencers: number },
): Promise<{ readonly address: Address; readonly rawTxs: Hex[] }> {
  const from = host.accountAddress(p.deployer);
  const roots = getContractAddress({ from, nonce: BigInt(host.nonceOf(p.deployer)) });
  const rootsTx = await host.signL1(p.deployer, { data: artifacts.beaconRoots.bytecode, gas: 300_000n });
  const address = getContractAddress({ from, nonce: BigInt(host.nonceOf(p.deployer)) });
  const operators = Array.from({ length: p.sequencers }, (_, i) => host.accountAddress(i));
  const whitelistTx = await host.signL1(p.deployer, {
    data: encodeDeployData({
      abi: devnetPreconfWhitelistAbi,
      bytecode: artifacts.preconfWhitelist.bytecode,
      args: [roots, operators, operators],
    }),
    gas: 2_000_000n,
  });
  return { address, rawTxs: [rootsTx, whitelistTx] };
}

/** The whitelist transactions of one L1 tick (counted from deployment): the scheduled add and removal. */
export async function preconfTickTxs(
  host: PreconfWhitelistHost,
  p: { readonly whitelist: Address; readonly deployer: number; readonly tick: number },
): Promise<Hex[]> {
  const send = (functionName: "addOperator" | "removeOperator", args: readonly unknown[]) =>
    host.signL1(p.deployer, {
      to: p.whitelist,
      data: encodeFunctionData({ abi: devnetPreconfWhitelistAbi, functionName, args } as never),
      gas: 200_000n,
    });
  if (p.tick === PRECONF_SCHEDULE.addAtTick) {
    return [
      await send("addOperator", [host.accountAddress(ADDED.proposer), host.accountAddress(ADDED.sequencer)]),
    ];
  }
  // Index 0 (sequencer 0): the last operator moves into its slot, so the draw's result can change at once.
  if (p.tick === PRECONF_SCHEDULE.removeAtTick) return [await send("removeOperator", [0n])];
  return [];
}
