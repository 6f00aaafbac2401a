import { type Address, createPublicClient, type Hex, http } from "viem";
import { anchorRegistryAbi } from "./anchorRegistryAbi.js";
import { type InclusionProof, verifyProof } from "./proofs.js";

export interface VerifyAnchoredParameters {
  /** As served by GET /v1/proofs/:eventId. */
  readonly proof: InclusionProof;
  /** Any JSON-RPC URL of the chain the registry is on. */
  readonly rpcUrl: string;
  /** The signing key the verifier trusts (from GET /v1/keys, kept beforehand). */
  readonly publicKey: string;
  /** The registry the verifier trusts; @default the proof's anchor.registry (then trust rests on the key). */
  readonly registry?: Address;
}

export interface VerifyAnchoredReturnType {
  readonly valid: boolean;
  /** What failed; empty when valid. */
  readonly problems: readonly string[];
  /** The root the registry holds for the proof's range (0x0… when none). */
  readonly onChainRoot?: string;
}

/**
 * Check an event against the root anchored on chain, trusting nothing but the key, the RPC URL and
 * (optionally) the registry address: the proof must verify offline (signatures, audit path) and the
 * registry must hold the same root for the same (stream, fromSequence, toSequence).
 */
export async function verifyAnchored(
  parameters: VerifyAnchoredParameters,
): Promise<VerifyAnchoredReturnType> {
  const { proof, rpcUrl, publicKey } = parameters;
  const problems = verifyProof(proof, publicKey);
  const registry = parameters.registry ?? (proof.commitment.anchor?.registry as Address | undefined);
  if (!registry) return { valid: false, problems: [...problems, "the commitment is not anchored yet"] };
  const client = createPublicClient({ transport: http(rpcUrl) });
  const { stream, fromSequence, toSequence, root } = proof.commitment;
  let onChainRoot: Hex;
  try {
    onChainRoot = await client.readContract({
      address: registry,
      abi: anchorRegistryAbi,
      functionName: "rootOf",
      args: [stream, BigInt(fromSequence), BigInt(toSequence)],
    });
  } catch (error) {
    return {
      valid: false,
      problems: [...problems, `could not read the registry: ${(error as Error).message}`],
    };
  }
  if (onChainRoot.toLowerCase() !== `0x${root.toLowerCase()}`) {
    problems.push(
      `the registry holds ${onChainRoot} for ${stream} ${fromSequence}…${toSequence}, not 0x${root}`,
    );
  }
  return { valid: problems.length === 0, problems, onChainRoot };
}
