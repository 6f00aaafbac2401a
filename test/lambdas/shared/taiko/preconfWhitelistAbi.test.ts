import { keccak256, toBytes, toEventSelector, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import { OPERATOR_CHANGE_TOPICS } from "../../../../lambdas/ingestor/readPreconf.js";
import { epochStartOf, preconfWhitelistAbi } from "../../../../lambdas/shared/taiko/preconfWhitelistAbi.js";

/**
 * The PreconfWhitelist's events and views as taikoxyz/taiko-mono writes them at
 * b9c5bb2a2000dc2db94c9dc6e621591e01c1fe7b (packages/protocol/contracts/layer1/preconf/iface/IPreconfWhitelist.sol,
 * impl/PreconfWhitelist.sol): each topic0 / selector is keccak256 of the canonical signature written
 * here by hand from that text, independently of the ABI the ingestor uses.
 */
const SIGNATURES = {
  OperatorAdded: "OperatorAdded(address,address,uint256)",
  OperatorRemoved: "OperatorRemoved(address,address,uint256)",
  getOperatorForCurrentEpoch: "getOperatorForCurrentEpoch()",
  getOperatorForNextEpoch: "getOperatorForNextEpoch()",
  epochStartTimestamp: "epochStartTimestamp(uint256)",
  operatorCount: "operatorCount()",
  operatorMapping: "operatorMapping(uint256)",
  isOperatorActive: "isOperatorActive(address,uint32)",
  operators: "operators(address)",
} as const;

describe("preconfWhitelistAbi", () => {
  it("has each event's topic0 and each view's selector as the protocol source declares them", () => {
    for (const item of preconfWhitelistAbi) {
      const signature = SIGNATURES[item.name as keyof typeof SIGNATURES];
      expect(signature, item.name).toBeDefined();
      const digest = keccak256(toBytes(signature));
      if (item.type === "event") expect(toEventSelector(item)).toBe(digest);
      else expect(toFunctionSelector(item)).toBe(digest.slice(0, 10));
    }
    expect(OPERATOR_CHANGE_TOPICS).toEqual([
      keccak256(toBytes(SIGNATURES.OperatorAdded)),
      keccak256(toBytes(SIGNATURES.OperatorRemoved)),
    ]);
  });

  it("starts epochs where LibPreconfUtils does: beacon genesis + whole 384 s epochs, genesis 0 on other chains", () => {
    // LibPreconfConstants @b9c5bb2: mainnet beacon genesis 1_606_824_023, Hoodi 1_742_213_400.
    expect(epochStartOf(1_606_824_023 + 384 * 1000 + 383, 1)).toBe(1_606_824_023 + 384 * 1000);
    expect(epochStartOf(1_742_213_400 + 384 * 7, 560_048)).toBe(1_742_213_400 + 384 * 7);
    expect(epochStartOf(1_742_213_400 + 384 * 7 - 1, 560_048)).toBe(1_742_213_400 + 384 * 6);
    expect(epochStartOf(1_700_000_000, 31337)).toBe(Math.floor(1_700_000_000 / 384) * 384);
  });
});
