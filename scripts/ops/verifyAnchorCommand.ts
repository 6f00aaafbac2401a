import { readFile } from "node:fs/promises";
import type { Address } from "viem";
import type { InclusionProof } from "../../lambdas/ingestApi/proofs.js";
import { type VerifyAnchoredReturnType, verifyAnchored } from "../../lambdas/ingestApi/verifyAnchored.js";

export interface VerifyAnchorOptions {
  readonly eventId: string;
  /** Any JSON-RPC URL of the chain the registry is on. */
  readonly rpcUrl: string;
  /** The signing key the verifier trusts (from GET /v1/keys, kept beforehand). */
  readonly publicKey: string;
  /** The registry the verifier trusts; @default the one the proof names. */
  readonly registry?: Address;
  /** Where the proof comes from: the API (GET /v1/proofs/{eventId}) with a key… */
  readonly apiUrl?: string;
  readonly apiKey?: string;
  /** …or a saved proof file. */
  readonly proofFile?: string;
}

export interface VerifyAnchorClients {
  /** @default globalThis.fetch */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

export interface VerifyAnchorResult extends VerifyAnchoredReturnType {
  readonly eventId: string;
  readonly proof?: InclusionProof;
}

/**
 * `tidemark anchor verify EVENT_ID --rpc URL --public-key HEX [--api URL --api-key K | --proof FILE]`:
 * the event's inclusion proof must verify offline and the registry on chain must hold its root.
 */
export async function verifyAnchorCommand(
  options: VerifyAnchorOptions,
  clients: VerifyAnchorClients = {},
): Promise<VerifyAnchorResult> {
  const { eventId } = options;
  let proof: InclusionProof;
  try {
    proof = await loadProof(options, clients.fetch ?? fetch);
  } catch (error) {
    return { eventId, valid: false, problems: [(error as Error).message] };
  }
  if (proof.receipt.eventId !== eventId) {
    return {
      eventId,
      proof,
      valid: false,
      problems: [`the proof is for ${proof.receipt.eventId}, not ${eventId}`],
    };
  }
  const result = await verifyAnchored({
    proof,
    rpcUrl: options.rpcUrl,
    publicKey: options.publicKey,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  return { eventId, proof, ...result };
}

async function loadProof(
  options: VerifyAnchorOptions,
  fetchFn: NonNullable<VerifyAnchorClients["fetch"]>,
): Promise<InclusionProof> {
  if (options.proofFile) return JSON.parse(await readFile(options.proofFile, "utf8")) as InclusionProof;
  if (!options.apiUrl) throw new Error("give the proof: --api URL (with --api-key) or --proof FILE");
  const url = `${options.apiUrl.replace(/\/$/, "")}/v1/proofs/${encodeURIComponent(options.eventId)}`;
  const res = await fetchFn(url, { headers: options.apiKey ? { "x-api-key": options.apiKey } : {} });
  const body = (await res.json()) as InclusionProof & { error?: { message?: string } };
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${body.error?.message ?? ""}`.trim());
  return body;
}
