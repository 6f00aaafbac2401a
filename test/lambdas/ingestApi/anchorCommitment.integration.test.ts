import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptEvents } from "../../../lambdas/ingestApi/acceptEvents.js";
import { anchorCommitment } from "../../../lambdas/ingestApi/anchorCommitment.js";
import { anchorRegistryAbi } from "../../../lambdas/ingestApi/anchorRegistryAbi.js";
import { leafHash, merkleRoot } from "../../../lambdas/ingestApi/merkle.js";
import { parseEventBatch } from "../../../lambdas/ingestApi/parseEventBatch.js";
import { type InclusionProof, verifyProof } from "../../../lambdas/ingestApi/proofs.js";
import { verifyAnchored } from "../../../lambdas/ingestApi/verifyAnchored.js";
import { compileAnchorRegistry } from "../../../scripts/ingestApi/compileAnchorRegistry.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import {
  body,
  buildDeps,
  event,
  type IngestParts,
  mountV1,
  provisionIngest,
  startIngestParts,
} from "./helpers.js";

// Integration: commitments on DynamoDB Local, anchored on an anvil L2 through the compiled registry.
const L2_CHAIN_ID = 167_001;
/** anvil's first dev account (public test key). */
const DEPLOYER = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

let parts: IngestParts;
let anvil: AnvilNode;
beforeAll(async () => {
  [parts, anvil] = await Promise.all([startIngestParts(), startAnvil({ chainId: L2_CHAIN_ID })]);
});
afterAll(async () => {
  await Promise.all([parts?.stop(), anvil?.stop()]);
});

const rpc = <T>(method: string, params: unknown[] = []) =>
  fetch(anvil.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  })
    .then((r) => r.json() as Promise<{ result: T; error?: { message: string } }>)
    .then((r) => {
      if (r.error) throw new Error(`${method}: ${r.error.message}`);
      return r.result;
    });

async function deployRegistry() {
  const chain = defineChain({
    id: L2_CHAIN_ID,
    name: "anvil-l2",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.url] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(anvil.url) }) as PublicClient;
  const walletClient = createWalletClient({ chain, account: DEPLOYER, transport: http(anvil.url) });
  const compiled = await compileAnchorRegistry();
  const hash = await walletClient.deployContract({ abi: anchorRegistryAbi, bytecode: compiled.bytecode });
  const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash });
  return { publicClient, walletClient, registry: contractAddress as Address, compiled };
}

describe("commitments anchored on an L2", () => {
  it("commits every N events or T seconds, serves verifiable proofs, and re-anchors after a reorg", async () => {
    // Prepare: 10 events; a commitment every 4 events or 60 s.
    const names = await provisionIngest(parts);
    const deps = await buildDeps(parts, names, {
      settings: { commitEveryEvents: 4, commitEverySeconds: 60 },
    });
    const app = mountV1(deps);
    const apiKey = (await deps.keys.createKey({ name: "reader", streams: ["anchored"] })).apiKey;
    const events = Array.from({ length: 10 }, (_, i) => event("anchored", `op-${i}`, { i }));
    const { results } = await acceptEvents(deps, parseEventBatch(body(...events), deps.settings));
    const { publicClient, walletClient, registry, compiled } = await deployRegistry();
    const anchoring = { publicClient, walletClient, registry, commitments: deps.commitments };
    const later = await buildDeps(parts, names, {
      settings: { commitEveryEvents: 4, commitEverySeconds: 60 },
      now: () => Date.now() + 61_000,
    });

    // Act: two full commitments at once; the tail of 2 only once it is older than T.
    const c1 = await deps.commitments.commitDue("anchored");
    const c2 = await deps.commitments.commitDue("anchored");
    const notYet = await deps.commitments.commitDue("anchored");
    const c3 = await later.commitments.commitDue("anchored");
    const none = await later.commitments.commitDue("anchored");

    // Assess: ranges, and roots recomputed from the receipts the API returns.
    expect(compiled.abi).toEqual(expect.arrayContaining([...anchorRegistryAbi]));
    expect(compiled.abi).toHaveLength(anchorRegistryAbi.length);
    expect([c1, c2, c3].map((c) => [c?.fromSequence, c?.toSequence])).toEqual([
      [1, 4],
      [5, 8],
      [9, 10],
    ]);
    expect([notYet, none]).toEqual([undefined, undefined]);
    const receipts = results.map((r) => (r.status === "accepted" ? r.receipt : undefined));
    for (const c of [c1, c2, c3]) {
      const leaves = receipts
        .slice((c?.fromSequence ?? 0) - 1, c?.toSequence)
        .map((r) => leafHash(r as never));
      expect(c?.root).toBe(merkleRoot(leaves));
    }
    for (const r of results) {
      if (r.status !== "accepted") throw new Error("all accepted");
      const response = await app.request(`/v1/proofs/${r.eventId}`, { headers: { "x-api-key": apiKey } });
      expect(verifyProof((await response.json()) as InclusionProof, deps.signer.publicKeyHex)).toEqual([]);
    }

    // Act: anchor c1 inside a snapshot, then revert (the anchoring tx vanishes, as in a reorg).
    const proof = await deps.commitments.inclusionProof(
      results[1]?.status === "accepted" ? results[1].eventId : "",
    );
    const snapshot = await rpc<Hex>("evm_snapshot");
    const sent = await anchorCommitment(anchoring, c1 as NonNullable<typeof c1>);
    const anchoredProof = await deps.commitments.inclusionProof(proof.receipt.eventId);
    const before = await verifyAnchored({
      proof: anchoredProof,
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
    });
    await rpc("evm_revert", [snapshot]);
    await rpc("anvil_mine", ["0x3"]);
    const afterReorg = await verifyAnchored({
      proof: anchoredProof,
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
    });
    const stored = (await deps.commitments.commitmentFor("anchored", 1)) as NonNullable<typeof c1>;
    const resent = await anchorCommitment(anchoring, stored);
    const kept = await anchorCommitment(anchoring, resent.commitment);
    const reanchoredProof = await deps.commitments.inclusionProof(proof.receipt.eventId);
    const after = await verifyAnchored({
      proof: reanchoredProof,
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
    });
    const tampered = await verifyAnchored({
      proof: { ...reanchoredProof, receipt: { ...reanchoredProof.receipt, payloadSha256: "00".repeat(32) } },
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
    });

    // Assess
    expect(sent.action).toBe("sent");
    expect(before).toMatchObject({ valid: true, problems: [] });
    expect(afterReorg.valid).toBe(false);
    expect(afterReorg.problems.join()).toMatch(/registry holds 0x0{64}/);
    expect(resent.action).toBe("resent");
    expect(resent.commitment.anchor?.blockHash).not.toBe(sent.commitment.anchor?.blockHash);
    expect(kept.action).toBe("kept");
    expect(after).toMatchObject({ valid: true, problems: [] });
    expect(tampered.valid).toBe(false);

    // Act: anchor c2, then replace its block with anvil_reorg: the tx is re-included or re-sent.
    const c2Anchored = await anchorCommitment(anchoring, c2 as NonNullable<typeof c2>);
    await rpc("anvil_reorg", [1, []]);
    const stored2 = (await deps.commitments.commitmentFor("anchored", 5)) as NonNullable<typeof c2>;
    const repaired = await anchorCommitment(anchoring, stored2);
    const proof6 = await deps.commitments.inclusionProof(
      results[5]?.status === "accepted" ? results[5].eventId : "",
    );
    // Assess
    expect(["moved", "resent"]).toContain(repaired.action);
    expect(repaired.commitment.anchor?.blockHash).not.toBe(c2Anchored.commitment.anchor?.blockHash);
    expect(
      await verifyAnchored({
        proof: proof6,
        rpcUrl: anvil.url,
        publicKey: deps.signer.publicKeyHex,
        registry,
      }),
    ).toMatchObject({
      valid: true,
    });
    deps.destroy();
    later.destroy();
  });
});
