import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorCommitment } from "../../../lambdas/ingestApi/anchorCommitment.js";
import { anchorRegistryAbi } from "../../../lambdas/ingestApi/anchorRegistryAbi.js";
import { compileAnchorRegistry } from "../../../scripts/ingestApi/compileAnchorRegistry.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import { verifyAnchorCommand } from "../../../scripts/ops/verifyAnchorCommand.js";
import {
  body,
  buildDeps,
  event,
  type IngestParts,
  mountV1,
  provisionIngest,
  startIngestParts,
} from "../../lambdas/ingestApi/helpers.js";

// Integration: `tidemark anchor verify` against a registry on an anvil L2, the proof fetched from the
// API (the app's own request function stands in for the network) or read from a saved file.
const CHAIN_ID = 167_002;
/** anvil's first dev account (public test key). */
const DEPLOYER = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

let parts: IngestParts;
let anvil: AnvilNode;
beforeAll(async () => {
  [parts, anvil] = await Promise.all([startIngestParts(), startAnvil({ chainId: CHAIN_ID })]);
});
afterAll(async () => {
  await Promise.all([parts?.stop(), anvil?.stop()]);
});

describe("verifyAnchorCommand", () => {
  it("passes an anchored event, and fails an unanchored one, a distrusted key or another registry", async () => {
    // Prepare: 3 events committed together; the commitment anchored on the L2.
    const deps = await buildDeps(parts, await provisionIngest(parts), { settings: { commitEveryEvents: 3 } });
    const app = mountV1(deps);
    const apiKey = (await deps.keys.createKey({ name: "v", streams: ["anchors"] })).apiKey;
    const res = await app.request("/v1/events", {
      method: "POST",
      body: body(event("anchors", "a"), event("anchors", "b"), event("anchors", "c"), event("anchors", "d")),
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    });
    const ids = ((await res.json()) as { results: { eventId: string }[] }).results.map((r) => r.eventId);
    const chain = defineChain({
      id: CHAIN_ID,
      name: "anvil-l2",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.url] } },
    });
    const publicClient = createPublicClient({ chain, transport: http(anvil.url) }) as PublicClient;
    const walletClient = createWalletClient({ chain, account: DEPLOYER, transport: http(anvil.url) });
    const { bytecode } = await compileAnchorRegistry();
    const deploy = async () => {
      const hash = await walletClient.deployContract({ abi: anchorRegistryAbi, bytecode });
      return (await publicClient.waitForTransactionReceipt({ hash })).contractAddress as Address;
    };
    const [registry, otherRegistry] = [await deploy(), await deploy()];
    const commitment = await deps.commitments.commitDue("anchors");
    await anchorCommitment(
      { publicClient, walletClient, registry, commitments: deps.commitments },
      commitment as never,
    );
    const fetchViaApp = (url: string, init?: RequestInit) => Promise.resolve(app.request(url, init));
    const common = {
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
      apiUrl: "http://api.test",
      apiKey,
    };
    const proofFile = join(parts.stateDir, "proof.json");
    await writeFile(proofFile, JSON.stringify(await deps.commitments.inclusionProof(ids[1] as string)));
    // Act
    const ok = await verifyAnchorCommand({ ...common, eventId: ids[1] as string }, { fetch: fetchViaApp });
    const fromFile = await verifyAnchorCommand({
      eventId: ids[1] as string,
      rpcUrl: anvil.url,
      publicKey: deps.signer.publicKeyHex,
      registry,
      proofFile,
    });
    const uncommitted = await verifyAnchorCommand(
      { ...common, eventId: ids[3] as string },
      { fetch: fetchViaApp },
    );
    const distrusted = await verifyAnchorCommand(
      {
        ...common,
        eventId: ids[0] as string,
        publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      },
      { fetch: fetchViaApp },
    );
    const elsewhere = await verifyAnchorCommand(
      { ...common, eventId: ids[2] as string, registry: otherRegistry },
      { fetch: fetchViaApp },
    );
    // Assess
    expect(ok).toMatchObject({ valid: true, problems: [], onChainRoot: `0x${commitment?.root}` });
    expect(fromFile.valid).toBe(true);
    expect(uncommitted.valid).toBe(false);
    expect(uncommitted.problems[0]).toContain("404");
    expect(distrusted.valid).toBe(false);
    expect(distrusted.problems).toContain("receipt signature does not verify");
    expect(elsewhere.valid).toBe(false);
    expect(elsewhere.problems.join()).toContain("the registry holds 0x0000");
    deps.destroy();
  });
});
