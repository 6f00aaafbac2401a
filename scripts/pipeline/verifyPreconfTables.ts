import { type Address, type PublicClient, parseEventLogs } from "viem";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import { epochStartOf, preconfWhitelistAbi } from "../../lambdas/shared/taiko/preconfWhitelistAbi.js";
import { compareSets, type QueryFn, type TableCheck } from "./verifyAgainstChain.js";

/**
 * preconf_epochs against the chain, read back over RPC without the ingestor's code: the whitelist's own
 * views through viem's contract reads at every canonical L1 block of the range. A row is due at each block
 * whose `epochStartTimestamp(0)` differs from its parent's, and at each block holding an OperatorAdded /
 * OperatorRemoved log (eth_getLogs, parsed with the protocol ABI); its candidates are the operators the
 * contract's `isOperatorActive` accepts for the epoch. Compared value by value with the canonical view.
 */
export interface VerifyPreconfParameters {
  readonly network: TaikoNetwork;
  readonly l1: PublicClient;
  readonly l1Range: { from: number; to: number };
  readonly query: QueryFn;
}

const COLUMNS = [
  "epoch_start_ts",
  "current_operator",
  "next_operator",
  "operators",
  "sequencers",
  "active_since",
  "candidates",
] as const;

export async function verifyPreconfTables(p: VerifyPreconfParameters): Promise<TableCheck[]> {
  const whitelist = p.network.forks.map((f) => f.contracts.preconfWhitelist).find((a) => a !== undefined);
  if (!whitelist || p.l1Range.to < p.l1Range.from) return [];
  const expected: string[] = [];
  for (const n of await dueBlocks(p, whitelist)) {
    const state = await stateAt(p.l1, whitelist, n.number);
    if (state) expected.push(`${n.hash} ${state}`);
  }
  const rows = await p.query<Record<string, unknown>>(
    `SELECT l1_block_hash, ${COLUMNS.join(", ")} FROM canonical_preconf_epochs WHERE l1_block_number BETWEEN ${p.l1Range.from} AND ${p.l1Range.to}`,
  );
  const actual = rows.map((r) => `${String(r.l1_block_hash)} ${COLUMNS.map((c) => String(r[c])).join("|")}`);
  return [compareSets("preconf_epochs", expected, actual)];
}

/** The canonical blocks a row is due at: an epoch's first block, or one holding an operator change. */
async function dueBlocks(
  p: VerifyPreconfParameters,
  whitelist: Address,
): Promise<{ number: number; hash: string }[]> {
  const logs = await p.l1.getLogs({
    address: whitelist,
    fromBlock: BigInt(p.l1Range.from),
    toBlock: BigInt(p.l1Range.to),
  });
  const changed = new Set(
    parseEventLogs({ abi: preconfWhitelistAbi, logs }).map((l) => Number(l.blockNumber)),
  );
  const due: { number: number; hash: string }[] = [];
  let previous = await epochAt(p, whitelist, p.l1Range.from - 1);
  for (let n = p.l1Range.from; n <= p.l1Range.to; n++) {
    const epoch = await epochAt(p, whitelist, n);
    if (epoch !== previous || changed.has(n)) {
      const block = await p.l1.getBlock({ blockNumber: BigInt(n) });
      due.push({ number: n, hash: block.hash.toLowerCase() });
    }
    previous = epoch;
  }
  return due;
}

/** The contract's epoch at a block; before it has code, the same rule over the block's time (LibPreconfUtils). */
async function epochAt(p: VerifyPreconfParameters, whitelist: Address, n: number): Promise<number> {
  try {
    return Number(
      await p.l1.readContract({
        address: whitelist,
        abi: preconfWhitelistAbi,
        functionName: "epochStartTimestamp",
        args: [0n],
        blockNumber: BigInt(n),
      }),
    );
  } catch {
    const block = await p.l1.getBlock({ blockNumber: BigInt(Math.max(0, n)) });
    return epochStartOf(Number(block.timestamp), p.network.l1ChainId);
  }
}

/** The compared columns as the whitelist's views answer them at block `n`; undefined before it has code. */
async function stateAt(l1: PublicClient, whitelist: Address, n: number): Promise<string | undefined> {
  const at = { address: whitelist, abi: preconfWhitelistAbi, blockNumber: BigInt(n) } as const;
  if (!(await l1.getCode({ address: whitelist, blockNumber: BigInt(n) }))) return undefined;
  const [epoch, current, next, count] = await Promise.all([
    l1.readContract({ ...at, functionName: "epochStartTimestamp", args: [0n] }),
    l1.readContract({ ...at, functionName: "getOperatorForCurrentEpoch" }),
    l1.readContract({ ...at, functionName: "getOperatorForNextEpoch" }),
    l1.readContract({ ...at, functionName: "operatorCount" }),
  ]);
  const proposers = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      l1.readContract({ ...at, functionName: "operatorMapping", args: [BigInt(i)] }),
    ),
  );
  const infos = await Promise.all(
    proposers.map((a) => l1.readContract({ ...at, functionName: "operators", args: [a] })),
  );
  const active = await Promise.all(
    proposers.map((a) => l1.readContract({ ...at, functionName: "isOperatorActive", args: [a, epoch] })),
  );
  const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase()).join(",");
  return [
    epoch,
    current.toLowerCase(),
    next.toLowerCase(),
    lower(proposers),
    lower(infos.map((i) => i[3])),
    infos.map((i) => i[0]).join(","),
    lower(proposers.filter((_, i) => active[i])),
  ].join("|");
}
