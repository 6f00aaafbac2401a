import { parseAbi } from "viem";

/**
 * The PreconfWhitelist (Shasta's proposer checker: who may propose, and preconfirm, in each beacon
 * epoch), written from taikoxyz/taiko-mono's source at b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b
 * (packages/protocol/contracts/layer1/preconf): iface/IPreconfWhitelist.sol, impl/PreconfWhitelist.sol,
 * libs/LibPreconfConstants.sol, libs/LibPreconfUtils.sol. docs/NETWORKS.md lists each fact; a test
 * pins each topic0 and selector to the signature as the source writes it.
 *
 * No event names an epoch's operator: it is drawn from the beacon root two epochs back among the
 * operators active in the epoch (`_getOperatorForEpoch`), and an operator's removal takes effect at
 * once. So the operators are read by calls, at a given L1 block (readPreconf.ts).
 */
export const preconfWhitelistAbi = parseAbi([
  // iface/IPreconfWhitelist.sol @b9c5bb2
  "event OperatorAdded(address indexed proposer, address indexed sequencer, uint256 activeSince)",
  "event OperatorRemoved(address indexed proposer, address indexed sequencer, uint256 inactiveSince)",
  "function getOperatorForCurrentEpoch() view returns (address)",
  "function getOperatorForNextEpoch() view returns (address)",
  // impl/PreconfWhitelist.sol @b9c5bb2: public state and views
  "function epochStartTimestamp(uint256 _offset) view returns (uint32)",
  "function operatorCount() view returns (uint8)",
  "function operatorMapping(uint256 index) view returns (address)",
  "function isOperatorActive(address _proposer, uint32 _epochTimestamp) view returns (bool)",
  // mapping(address proposer => OperatorInfo{uint32 activeSince; uint32 deprecatedInactiveSince; uint8 index; address sequencerAddress})
  "function operators(address proposer) view returns (uint32 activeSince, uint32 deprecatedInactiveSince, uint8 index, address sequencerAddress)",
]);

/** LibPreconfConstants.sol @b9c5bb2: SECONDS_IN_SLOT × 32. */
export const SECONDS_IN_EPOCH = 12 * 32;

/**
 * LibPreconfConstants.getGenesisTimestamp @b9c5bb2: the beacon genesis by L1 chain id, 0 for any other
 * chain (a devnet: its epochs then start at multiples of 384 s of unix time).
 */
export function beaconGenesisOf(l1ChainId: number): number {
  switch (l1ChainId) {
    case 1:
      return 1_606_824_023; // ETHEREUM_MAINNET_BEACON_GENESIS
    case 17_000:
      return 1_695_902_400; // ETHEREUM_HOLESKY_BEACON_GENESIS
    case 7_014_190_335:
      return 1_718_967_660; // ETHEREUM_HELDER_BEACON_GENESIS
    case 560_048:
      return 1_742_213_400; // ETHEREUM_HOODI_BEACON_GENESIS
    default:
      return 0;
  }
}

/** LibPreconfUtils.getEpochTimestamp @b9c5bb2: the start of the epoch holding an L1 block time. */
export function epochStartOf(timestamp: number, l1ChainId: number): number {
  const genesis = beaconGenesisOf(l1ChainId);
  if (timestamp < genesis) return genesis;
  return genesis + Math.floor((timestamp - genesis) / SECONDS_IN_EPOCH) * SECONDS_IN_EPOCH;
}
