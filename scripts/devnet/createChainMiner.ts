import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  rpcSchema,
} from "viem";
import { DevnetError } from "./DevnetError.js";
import { txHashOf } from "./zeroBlobs.js";

/** A block the driver mined, with the raw transactions it put there (kept to re-include them after a reorg). */
export interface MinedBlock {
  readonly number: number;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly stateRoot: Hex;
  readonly timestamp: number;
  readonly gasLimit: bigint;
  readonly baseFeePerGas: bigint;
  readonly miner: Address;
  readonly rawTxs: readonly Hex[];
  readonly txHashes: readonly Hex[];
}

export interface BlockRef {
  readonly number: number;
  readonly hash: Hex;
  readonly timestamp: number;
}

export interface MineParameters {
  /** Chain time of the new block (seconds); must not be before the head's. */
  readonly timestamp: number;
  readonly coinbase?: Address;
  /** Signed transactions, all of which must land in this block. */
  readonly rawTxs?: readonly Hex[];
  /** Fail unless every transaction succeeded (contract calls; a revert means the story went wrong). */
  readonly requireSuccess?: boolean;
  /**
   * The base fee of the new block. Mining a rolled-back block again with its timestamp, coinbase,
   * transactions and base fee gives the very same block (same hash): an A→B→A flip.
   */
  readonly baseFeePerGas?: bigint;
}

export interface ChainMiner {
  readonly name: string;
  readonly url: string;
  chainId(): Promise<number>;
  head(): Promise<BlockRef>;
  baseFee(): Promise<bigint>;
  nonce(address: Address): Promise<number>;
  /** Blocks are only made by `mine`: automine and interval mining are switched off. */
  takeControl(): Promise<void>;
  mine(parameters: MineParameters): Promise<MinedBlock>;
  /** Drops the newest `depth` blocks and their state (anvil_rollback). */
  rollback(depth: number): Promise<BlockRef>;
}

type AnvilExtraSchema = [
  { Method: "anvil_rollback"; Parameters: [depth: number]; ReturnType: null },
  { Method: "evm_mine"; Parameters?: undefined; ReturnType: Hex },
];

/** How long the driver waits for its own anvil node's answer. */
export const DEVNET_RPC_TIMEOUT_MS = 120_000;

/** The JSON-RPC operations the devnet driver needs on one anvil node, over viem's http transport. */
export function createChainMiner(parameters: { readonly name: string; readonly url: string }): ChainMiner {
  const { name, url } = parameters;
  // A local node that answers slowly is loaded, not failing: viem's 10 s default ended `npm start` on a
  // loaded machine (a Shasta proposal's blob transaction, 2026-12-02), and a send is never retried here.
  const transport = http(url, { retryCount: 0, timeout: DEVNET_RPC_TIMEOUT_MS });
  const test = createTestClient({ mode: "anvil", transport, rpcSchema: rpcSchema<AnvilExtraSchema>() });
  const pub = createPublicClient({ transport, cacheTime: 0 });
  const wallet = createWalletClient({ transport });

  /** The head as last seen by this miner; saves a round trip per mined block. */
  let known: BlockRef | undefined;
  const head = async (): Promise<BlockRef> => {
    const b = await pub.getBlock({ blockTag: "latest" });
    known = { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) };
    return known;
  };

  return {
    name,
    url,
    chainId: () => pub.getChainId(),
    head,
    baseFee: async () => (await pub.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 0n,
    nonce: (address) => pub.getTransactionCount({ address, blockTag: "latest" }),
    takeControl: async () => {
      await test.setAutomine(false);
      await test.setIntervalMining({ interval: 0 });
    },
    mine: async ({ timestamp, coinbase, rawTxs = [], requireSuccess = false, baseFeePerGas }) => {
      const before = known ?? (await head());
      await Promise.all([
        coinbase ? test.setCoinbase({ address: coinbase }) : undefined,
        baseFeePerGas === undefined ? undefined : test.setNextBlockBaseFeePerGas({ baseFeePerGas }),
        test.setNextBlockTimestamp({ timestamp: BigInt(timestamp) }),
      ]);
      // Sequential: keeps each sender's nonces arriving in order.
      for (const raw of rawTxs) await wallet.sendRawTransaction({ serializedTransaction: raw });
      await test.request({ method: "evm_mine" });
      const b = await pub.getBlock({ blockTag: "latest" });
      const txHashes = rawTxs.map(txHashOf);
      const included = new Set(b.transactions);
      // Invariants relied on by reorg re-inclusion: nobody else mines on this node, and a mined block
      // holds exactly the transactions we sent.
      if (b.parentHash !== before.hash || b.transactions.length !== txHashes.length) {
        known = undefined;
        throw new DevnetError(`${name}: block ${b.number} is not the block the driver mined`, {
          context: { expectedParent: before.hash, expectedTxs: txHashes.length, got: b.transactions.length },
        });
      }
      const missing = txHashes.filter((h) => !included.has(h));
      if (missing.length > 0) {
        throw new DevnetError(`${name}: transactions missing from block ${b.number}`, {
          context: { missing },
        });
      }
      if (requireSuccess && txHashes.length > 0) {
        const receipts = await Promise.all(txHashes.map((hash) => pub.getTransactionReceipt({ hash })));
        const failed = receipts.filter((r) => r.status !== "success").map((r) => r.transactionHash);
        if (failed.length > 0) {
          throw new DevnetError(`${name}: transactions reverted in block ${b.number}`, {
            context: { failed },
          });
        }
      }
      known = { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) };
      return {
        number: Number(b.number),
        hash: b.hash,
        parentHash: b.parentHash,
        stateRoot: b.stateRoot,
        timestamp: Number(b.timestamp),
        gasLimit: b.gasLimit,
        baseFeePerGas: b.baseFeePerGas ?? 0n,
        miner: b.miner,
        rawTxs: [...rawTxs],
        txHashes,
      };
    },
    rollback: async (depth) => {
      await test.request({ method: "anvil_rollback", params: [depth] });
      return head();
    },
  };
}
