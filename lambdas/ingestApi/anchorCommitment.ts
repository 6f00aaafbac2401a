import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { anchorRegistryAbi } from "./anchorRegistryAbi.js";
import type { CommitmentStore } from "./commitmentStore.js";
import { AnchorError } from "./errors.js";
import type { Anchor, Commitment } from "./proofs.js";

export interface AnchorCommitmentParameters {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly registry: Address;
  readonly commitments: CommitmentStore;
}

export interface AnchorCommitmentReturnType {
  readonly commitment: Commitment;
  /** `kept`: the recorded anchor is still canonical; `moved`: the same tx was re-included elsewhere;
   *  `sent`: first anchor; `resent`: the recorded tx was dropped by a reorg and was sent again. */
  readonly action: "kept" | "moved" | "sent" | "resent";
}

/**
 * Anchor a commitment's root on the L2, or check that its anchor still stands. Idempotent: run it
 * on every commitment on a schedule. A reorg that drops the anchoring tx shows as a missing receipt
 * or a block hash that changed at the recorded height; the anchor is then sent again (the registry
 * accepts the same root again, so a re-sent tx that races the old one being re-included is harmless).
 */
export async function anchorCommitment(
  parameters: AnchorCommitmentParameters,
  commitment: Commitment,
): Promise<AnchorCommitmentReturnType> {
  const { publicClient } = parameters;
  if (commitment.anchor) {
    const current = await locate(publicClient, commitment.anchor);
    if (current === "canonical") return { commitment, action: "kept" };
    if (current !== "dropped") {
      const moved = await parameters.commitments.recordAnchor(commitment, current);
      return { commitment: moved, action: "moved" };
    }
  }
  const anchor = await send(parameters, commitment);
  const recorded = await parameters.commitments.recordAnchor(commitment, anchor);
  return { commitment: recorded, action: commitment.anchor ? "resent" : "sent" };
}

/** Where the recorded tx is now: still in its block, in another canonical block, or gone. */
async function locate(client: PublicClient, anchor: Anchor): Promise<"canonical" | "dropped" | Anchor> {
  const receipt = await client.getTransactionReceipt({ hash: anchor.txHash as Hex }).catch(() => undefined);
  if (receipt?.status !== "success") return "dropped";
  const block = await client.getBlock({ blockNumber: receipt.blockNumber }).catch(() => undefined);
  // A receipt from a block no longer canonical (some nodes keep them a while) does not count.
  if (!block || block.hash !== receipt.blockHash) return "dropped";
  if (receipt.blockHash === anchor.blockHash) return "canonical";
  return { ...anchor, blockNumber: Number(receipt.blockNumber), blockHash: receipt.blockHash };
}

async function send(parameters: AnchorCommitmentParameters, c: Commitment): Promise<Anchor> {
  const { publicClient, walletClient, registry } = parameters;
  let hash: Hex;
  try {
    hash = await walletClient.writeContract({
      address: registry,
      abi: anchorRegistryAbi,
      functionName: "anchor",
      args: [c.stream, BigInt(c.fromSequence), BigInt(c.toSequence), `0x${c.root}`],
    });
  } catch (error) {
    // A revert in simulation (RootConflict, NotOwner) will revert again; anything else may pass later.
    const reverted = (error as { name?: string }).name === "ContractFunctionExecutionError";
    throw new AnchorError(
      `anchoring ${c.stream} ${c.fromSequence}…${c.toSequence} failed: ${(error as Error).message}`,
      !reverted,
      {
        cause: error,
        context: { stream: c.stream, fromSequence: c.fromSequence, toSequence: c.toSequence },
      },
    );
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new AnchorError(`anchor tx ${hash} reverted`, false, { context: { txHash: hash } });
  }
  return {
    chainId: await publicClient.getChainId(),
    registry,
    txHash: hash,
    blockNumber: Number(receipt.blockNumber),
    blockHash: receipt.blockHash,
  };
}
