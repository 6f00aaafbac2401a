import { concatHex, encodeAbiParameters, encodeEventTopics, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { createIngestor } from "../../../lambdas/ingestor/ingestor.js";
import type { BatchVerifiedEvent, L1HeaderEvent, ReorgEvent } from "../../../lambdas/shared/events.js";
import { inboxAbi } from "../../../lambdas/shared/inboxAbi.js";
import { observationId } from "../../../lambdas/shared/keys.js";
import { type AnvilNode, startAnvil } from "../../../scripts/local/anvil.js";
import {
  capturingSqs,
  collectingLogger,
  collectingMetrics,
  createMemoryCursorStore,
  rawRpc,
  testConfig,
} from "./helpers.js";

/** anvil's first dev account (unlocked). */
const FROM = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
/**
 * A contract that emits LOG1(topic = calldata[0:32], data = calldata[32:]): any inbox
 * event can be emitted with its real encoding, without compiling Solidity.
 */
const EMITTER_BYTECODE = "0x6011600c60003960116000f3366000600037600051602036036020a100";

let anvil: AnvilNode;
let emitter: Hex;

async function send(
  data: Hex,
  to?: Hex,
): Promise<{ blockNumber: number; blockHash: Hex; contractAddress: Hex | null }> {
  const txHash = await rawRpc<Hex>(anvil.url, "eth_sendTransaction", [
    { from: FROM, ...(to ? { to } : {}), data },
  ]);
  type Receipt = { blockNumber: Hex; blockHash: Hex; contractAddress: Hex | null; status: Hex };
  // Automine answers before the receipt is always queryable (seen after evm_revert): wait for it.
  let receipt: Receipt | null = null;
  for (let i = 0; i < 100 && !receipt; i++) {
    receipt = await rawRpc<Receipt | null>(anvil.url, "eth_getTransactionReceipt", [txHash]);
    if (!receipt) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!receipt) throw new Error(`no receipt for ${txHash}`);
  if (receipt.status !== "0x1") throw new Error("transaction reverted");
  return {
    blockNumber: Number(receipt.blockNumber),
    blockHash: receipt.blockHash,
    contractAddress: receipt.contractAddress,
  };
}

/** Emit BatchesVerified(batchId, blockHash) from the inbox address. */
function emitVerified(batchId: bigint, l2BlockHash: Hex) {
  const [topic] = encodeEventTopics({ abi: inboxAbi, eventName: "BatchesVerified" });
  const data = encodeAbiParameters([{ type: "uint64" }, { type: "bytes32" }], [batchId, l2BlockHash]);
  return send(concatHex([topic as Hex, data]), emitter);
}

const mine = (blocks: number) => rawRpc(anvil.url, "anvil_mine", [`0x${blocks.toString(16)}`]);
const blockHash = async (n: number) =>
  (await rawRpc<{ hash: Hex }>(anvil.url, "eth_getBlockByNumber", [`0x${n.toString(16)}`, false])).hash;

describe("ingestor against anvil", () => {
  beforeAll(async () => {
    anvil = await startAnvil();
    const deployed = await send(EMITTER_BYTECODE);
    emitter = deployed.contractAddress as Hex;
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("publishes headers and inbox events, survives a reorg, and never moves the cursor past an unpublished range", async () => {
    // Prepare
    let httpRequests = 0;
    const client = createChainClient({
      urls: [anvil.url],
      batchSize: 50,
      onFetchRequest: () => void httpRequests++,
    });
    let queueDown = false;
    const sqs = capturingSqs(() => queueDown);
    const store = createMemoryCursorStore();
    const ingestor = createIngestor({
      clients: { l1: client },
      cursorStore: store,
      sqs: sqs.sqs,
      config: testConfig({ CHAINS: "l1", L1_RPC_URLS: anvil.url, INBOX_ADDRESS: emitter, PARTITIONS: "4" }),
      metrics: collectingMetrics().sink,
      logger: collectingLogger().logger,
      owner: "it",
    });
    const fork = await rawRpc<Hex>(anvil.url, "evm_snapshot");
    const forkPoint = Number(await rawRpc<Hex>(anvil.url, "eth_blockNumber"));
    const verified = await emitVerified(7n, `0x${"aa".repeat(32)}`);
    await mine(120);
    const oldHead = forkPoint + 121;

    // Act 1: first ingestion
    httpRequests = 0;
    const first = await ingestor.runOnce();

    // Assess 1: every header once, the inbox event located in its block, headers read in batches
    const headers = () => sqs.events().filter((e): e is L1HeaderEvent => e.type === "l1_header");
    // Order is kept per message group (partition), not across them: compare in block order.
    const numbers = (hs: readonly L1HeaderEvent[]) => hs.map((h) => h.number).sort((a, b) => a - b);
    expect(first.chains[0]).toMatchObject({ status: "ok", next: oldHead + 1 });
    expect(numbers(headers())).toEqual(Array.from({ length: oldHead + 1 }, (_, i) => i));
    const inbox = sqs.events().filter((e): e is BatchVerifiedEvent => e.type === "batches_verified");
    expect(inbox).toMatchObject([
      {
        batchId: 7,
        blockHash: `0x${"aa".repeat(32)}`,
        l1: { blockNumber: verified.blockNumber, blockHash: verified.blockHash },
      },
    ]);
    expect(httpRequests).toBeLessThan(10);
    const orphanedHashes = await Promise.all(
      Array.from({ length: oldHead - forkPoint }, (_, i) => forkPoint + 1 + i).map(async (n) => ({
        number: n,
        hash: await blockHash(n),
      })),
    );

    // Act 2: reorg the chain from the fork point, with different contents, past the old head
    await rawRpc(anvil.url, "evm_revert", [fork]);
    const reVerified = await emitVerified(7n, `0x${"bb".repeat(32)}`);
    await mine(125);
    const published = sqs.events().length;
    const second = await ingestor.runOnce();

    // Assess 2: the reorg with its depth and orphaned hashes, then the new canonical blocks and event
    const after = sqs.events().slice(published);
    const reorg = after.find((e) => e.type === "reorg") as ReorgEvent;
    expect(reorg).toMatchObject({
      type: "reorg",
      chain: "l1",
      depth: oldHead - forkPoint,
      commonAncestor: { number: forkPoint, hash: await blockHash(forkPoint) },
      orphaned: orphanedHashes,
    });
    const newHead = forkPoint + 126;
    expect(reorg.newHead).toEqual({ number: newHead, hash: await blockHash(newHead) });
    const republished = after.filter((e): e is L1HeaderEvent => e.type === "l1_header");
    expect(numbers(republished)).toEqual(Array.from({ length: 126 }, (_, i) => forkPoint + 1 + i));
    expect(republished.every((h) => orphanedHashes.every((o) => o.hash !== h.hash))).toBe(true);
    const reInbox = after.find((e): e is BatchVerifiedEvent => e.type === "batches_verified");
    expect(reInbox?.l1.blockHash).toBe(reVerified.blockHash);
    expect(observationId(reInbox as BatchVerifiedEvent)).not.toBe(
      observationId(inbox[0] as BatchVerifiedEvent),
    );
    expect(second.chains[0]).toMatchObject({ status: "ok", reorgs: 1, next: newHead + 1 });

    // Act 3: the queue refuses everything; then it recovers
    await mine(3);
    queueDown = true;
    const failed = await ingestor.runOnce();
    const cursorWhileDown = store.peek("l1").next;
    queueDown = false;
    const recovered = await ingestor.runOnce();

    // Assess 3: the cursor stayed put while nothing could be published, then the range went out
    expect(failed.chains[0]).toMatchObject({
      status: "failed",
      error: { name: "RetryableError", retryable: true },
    });
    expect(cursorWhileDown).toBe(newHead + 1);
    expect(recovered.chains[0]).toMatchObject({ status: "ok", next: newHead + 4 });
    expect(numbers(headers().slice(-3))).toEqual([newHead + 1, newHead + 2, newHead + 3]);
  });
});
