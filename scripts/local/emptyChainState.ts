import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { gunzipSync } from "node:zlib";
import { type Hex, hexToBigInt, keccak256, toHex, toRlp } from "viem";
import { type AnvilNode, startAnvil } from "./anvil.js";

/**
 * A long chain of empty blocks for anvil to load (`--load-state`), written in seconds: `anvil_mine`
 * slows down with the chain's length (here 1,000 blocks took 4 s at height 0 and 52 s at height
 * 16,000), so a 100,000-block chain cannot be mined in a test. The genesis comes from a real anvil's
 * own `anvil_dumpState`; each further block copies its header with the number, parent hash, timestamp
 * and base fee a node would give an empty block, and its hash is keccak256 of the header's RLP, so
 * parent links hold and the served hashes are the ones written here (emptyChainState.test.ts checks it).
 */
export interface EmptyChainStateParameters {
  /** Where to write the state file (JSON, as `anvil --dump-state` writes it). */
  readonly file: string;
  /** The head block number: blocks 0..blocks are written. */
  readonly blocks: number;
  /** @default 31337 */
  readonly chainId?: number;
  /** Chain seconds between blocks. @default 12 */
  readonly blockTimeSeconds?: number;
}

export interface EmptyChainStateReturnType {
  /** The hash of the head block, as the node will serve it. */
  readonly headHash: Hex;
}

/** Header fields in RLP order (Prague: with requestsHash); `int` fields are encoded as minimal integers. */
const HEADER_FIELDS = [
  ["parentHash", "bytes"],
  ["sha3Uncles", "bytes"],
  ["miner", "bytes"],
  ["stateRoot", "bytes"],
  ["transactionsRoot", "bytes"],
  ["receiptsRoot", "bytes"],
  ["logsBloom", "bytes"],
  ["difficulty", "int"],
  ["number", "int"],
  ["gasLimit", "int"],
  ["gasUsed", "int"],
  ["timestamp", "int"],
  ["extraData", "bytes"],
  ["mixHash", "bytes"],
  ["nonce", "bytes"],
  ["baseFeePerGas", "int"],
  ["withdrawalsRoot", "bytes"],
  ["blobGasUsed", "int"],
  ["excessBlobGas", "int"],
  ["parentBeaconBlockRoot", "bytes"],
  ["requestsHash", "bytes"],
] as const;

type Header = Record<(typeof HEADER_FIELDS)[number][0], Hex>;

/** keccak256(rlp(header)): the block hash. Throws on a header with a field it does not know. */
export function headerHash(header: Readonly<Record<string, Hex>>): Hex {
  const unknown = Object.keys(header).filter((k) => !HEADER_FIELDS.some(([name]) => name === k));
  if (unknown.length > 0) throw new Error(`header fields not in the RLP layout: ${unknown.join(", ")}`);
  const items = HEADER_FIELDS.map(([name, kind]) => {
    const value = header[name];
    if (value === undefined) throw new Error(`header has no ${name}`);
    if (kind === "bytes") return value;
    const n = hexToBigInt(value);
    return n === 0n ? "0x" : toHex(n, { size: Math.ceil(n.toString(16).length / 2) });
  });
  return keccak256(toRlp(items));
}

/** EIP-1559 for a block that used no gas: the base fee falls by an eighth. */
const nextBaseFee = (parent: bigint) => parent - parent / 8n;

export async function writeEmptyChainState(p: EmptyChainStateParameters): Promise<EmptyChainStateReturnType> {
  const genesis = await dumpGenesis(p.chainId);
  const step = BigInt(p.blockTimeSeconds ?? 12);
  const out = createWriteStream(p.file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  const { blocks: first, ...rest } = genesis.state;
  const template = (first as { header: Header }[])[0] as { header: Header };
  let header: Header = template.header;
  if (headerHash(header) !== genesis.hash)
    throw new Error(`the header layout does not reproduce anvil's genesis hash ${genesis.hash}`);
  await write(`{"blocks":[${JSON.stringify({ ...template, header })}`);
  let hash = genesis.hash;
  for (let n = 1; n <= p.blocks; n++) {
    header = {
      ...header,
      parentHash: hash,
      number: toHex(n),
      timestamp: toHex(hexToBigInt(header.timestamp) + step),
      baseFeePerGas: toHex(nextBaseFee(hexToBigInt(header.baseFeePerGas))),
    };
    hash = headerHash(header);
    await write(`,${JSON.stringify({ ...template, header })}`);
  }
  const env = rest.block as Record<string, unknown>;
  const head = {
    ...rest,
    best_block_number: p.blocks,
    block: {
      ...env,
      number: toHex(p.blocks),
      timestamp: header.timestamp,
      basefee: Number(nextBaseFee(hexToBigInt(header.baseFeePerGas))),
    },
  };
  await write(`],${JSON.stringify(head).slice(1)}`);
  out.end();
  await once(out, "finish");
  return { headHash: hash };
}

/** A fresh anvil's state at block 0, and its genesis hash. */
async function dumpGenesis(chainId?: number): Promise<{ state: Record<string, unknown>; hash: Hex }> {
  const node: AnvilNode = await startAnvil({ chainId });
  try {
    const call = async (method: string, params: unknown[]) => {
      const res = await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      return ((await res.json()) as { result: unknown }).result;
    };
    const dump = (await call("anvil_dumpState", [])) as Hex;
    const block = (await call("eth_getBlockByNumber", ["0x0", false])) as { hash: Hex };
    const state = JSON.parse(gunzipSync(Buffer.from(dump.slice(2), "hex")).toString("utf8"));
    return { state, hash: block.hash };
  } finally {
    await node.stop();
  }
}
