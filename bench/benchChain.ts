import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { encodeAbiParameters, encodeEventTopics, type Hex, keccak256, toHex } from "viem";
import { inboxAbi } from "../lambdas/shared/inboxAbi.js";
import { type AnvilNode, startAnvil } from "../scripts/local/anvil.js";

/**
 * A minimal log emitter (18 bytes of EVM): calldata = topic0 ‖ data; it emits LOG1(topic0, data).
 * Placed with anvil_setCode, so the chain needs no compiler and the logs are real inbox events.
 */
const EMITTER_RUNTIME: Hex = "0x602036038060206000376000359060006000a100".replace(
  "60006000a1",
  "6000a1",
) as Hex;
export const EMITTER_ADDRESS: Hex = "0x00000000000000000000000000000000007a1de0";
const SENDER: Hex = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"; // anvil dev account 0 (unlocked)

export interface BenchChain {
  readonly anvil: AnvilNode;
  readonly url: string;
  /** The head after building: blocks 1…head exist. */
  readonly head: number;
  /** Inbox event logs the chain holds (about one block in `every` carries one), counted on the chain itself. */
  readonly eventBlocks: number;
  readonly inboxAddress: Hex;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Mine `blocks` more blocks the same way (one in `every` with an event); returns the new head. */
  extend(blocks: number, onBlock?: (number: number) => Promise<void> | void): Promise<number>;
  stop(): Promise<void>;
}

/** A BatchesVerified log (no indexed fields): topic0 ‖ abi-encoded (batchId, blockHash). */
function verifiedCalldata(batchId: number): Hex {
  const [topic0] = encodeEventTopics({ abi: inboxAbi, eventName: "BatchesVerified" }) as [Hex];
  const data = encodeAbiParameters(
    [{ type: "uint64" }, { type: "bytes32" }],
    [BigInt(batchId), keccak256(toHex(`batch ${batchId}`))],
  );
  return `${topic0}${data.slice(2)}` as Hex;
}

/**
 * Start an anvil holding `blocks` blocks, every `every`-th carrying one inbox event. Mining is slow
 * on a tall chain (anvil's cost per block grows with height), so the built chain is dumped to a
 * cache file in the temp directory and loaded (blocks, logs and state) by later runs.
 */
export async function buildBenchChain(blocks: number, every = 10): Promise<BenchChain & { cached: boolean }> {
  const cacheKey = createHash("sha256")
    .update(`${blocks}:${every}:${EMITTER_RUNTIME}:v2`)
    .digest("hex")
    .slice(0, 16);
  const cacheFile = join(tmpdir(), `tidemark-bench-chain-${cacheKey}.state.json`);
  const cached = existsSync(cacheFile);
  // A large state is loaded at start-up (--load-state): anvil_loadState refuses big request bodies.
  const anvil = await startAnvil(
    cached ? { chainId: 31337, loadState: cacheFile, readyTimeoutMs: 60_000 } : { chainId: 31337 },
  );
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(anvil.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const json = (await res.json()) as { result?: T; error?: { message: string } };
    if (json.error) throw new Error(`${method}: ${json.error.message}`);
    return json.result as T;
  };
  if (!cached) await rpc("anvil_setCode", [EMITTER_ADDRESS, EMITTER_RUNTIME]);
  let head = Number(await rpc<Hex>("eth_blockNumber"));
  let eventBlocks = 0;
  let batchId = 0;
  const extend = async (count: number, onBlock?: (n: number) => Promise<void> | void): Promise<number> => {
    const target = head + count;
    while (head < target) {
      const next = head + 1;
      if (next % every === 0) {
        // Automine: the transaction is mined in its own block.
        await rpc("eth_sendTransaction", [
          { from: SENDER, to: EMITTER_ADDRESS, data: verifiedCalldata(++batchId), gas: "0x30000" },
        ]);
        eventBlocks++;
        head = next;
      } else if (onBlock === undefined) {
        // Empty blocks up to the next event block in one call.
        const upTo = Math.min(target, Math.ceil(next / every) * every - 1);
        await rpc("anvil_mine", [toHex(upTo - head)]);
        head = upTo;
      } else {
        await rpc("anvil_mine", ["0x1"]);
        head = next;
      }
      await onBlock?.(head);
    }
    return head;
  };
  if (!cached) {
    await extend(blocks);
    // anvil_dumpState answers gzip as hex; --load-state reads the JSON inside. Atomic: write, then rename.
    const state = await rpc<Hex>("anvil_dumpState");
    writeFileSync(`${cacheFile}.tmp`, gunzipSync(Buffer.from(state.slice(2), "hex")));
    renameSync(`${cacheFile}.tmp`, cacheFile);
  }
  // The chain is the truth: count the inbox logs it actually holds (what every reader must decode).
  const countLogs = async () =>
    (await rpc<unknown[]>("eth_getLogs", [{ address: EMITTER_ADDRESS, fromBlock: "0x0", toBlock: "latest" }]))
      .length;
  eventBlocks = await countLogs();
  batchId = Math.max(batchId, eventBlocks);
  const chain: BenchChain & { cached: boolean } = {
    cached,
    anvil,
    url: anvil.url,
    get head() {
      return head;
    },
    get eventBlocks() {
      return eventBlocks;
    },
    inboxAddress: EMITTER_ADDRESS,
    rpc,
    extend,
    stop: () => anvil.stop(),
  };
  return chain;
}
