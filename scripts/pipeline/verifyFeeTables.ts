import { type Hex, type PublicClient, parseEventLogs } from "viem";
import { inboxAbi } from "../../lambdas/shared/inboxAbi.js";
import {
  GOLDEN_TOUCH_ADDRESS,
  shastaInboxAbi,
  shastaProvedWithCheckpointAbi,
} from "../../lambdas/shared/taiko/shastaAbi.js";
import { compareSets, type TableCheck } from "./verifyAgainstChain.js";
import type { VerifyShastaParameters } from "./verifyShastaTables.js";

/**
 * The fee tables against the chain, read back over RPC without the ingestor's code: every canonical L2
 * block with its transactions and each transaction's own receipt (eth_getTransactionReceipt, where the
 * ingestor reads eth_getBlockReceipts), the anchor recognised here by hand; every proposing / proving
 * transaction among the canonical inbox logs (parsed with the protocol ABIs) and its receipt. Values are
 * compared with the canonical views: tips, base fee, shared base fee, transaction count; role and cost.
 */
export interface VerifyFeeParameters extends VerifyShastaParameters {
  readonly l1: PublicClient;
}

const str = (v: unknown): string => (v === null || v === undefined ? "null" : String(v).toLowerCase());

export async function verifyFeeTables(p: VerifyFeeParameters): Promise<TableCheck[]> {
  return [await checkL2BlockFees(p), await checkL1TxCosts(p)];
}

async function checkL2BlockFees(p: VerifyFeeParameters): Promise<TableCheck> {
  const shasta = p.network.forks.find((f) => f.decoder === "shasta");
  const numbers = Array.from(
    { length: Math.max(0, p.l2Range.to - p.l2Range.from + 1) },
    (_, i) => p.l2Range.from + i,
  );
  const expected: string[] = [];
  for (const n of numbers) {
    const block = await p.l2.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
    const baseFee = block.baseFeePerGas ?? 0n;
    const x = block.extraData;
    const isShasta = shasta !== undefined && Number(block.timestamp) >= shasta.activation.timestamp;
    // Shasta: byte 0 of 7; Pacaya: bytes32(uint256(pct)), its last byte.
    const pct = isShasta
      ? x.length === 16
        ? Number.parseInt(x.slice(2, 4), 16)
        : null
      : x.length === 66 && /^0x0{62}/.test(x)
        ? Number.parseInt(x.slice(64), 16)
        : null;
    let tips = 0n;
    let base = 0n;
    let shared = 0n;
    let count = 0;
    for (const [i, tx] of block.transactions.entries()) {
      const isAnchor =
        i === 0 &&
        tx.from.toLowerCase() === GOLDEN_TOUCH_ADDRESS &&
        tx.to?.toLowerCase() === p.network.l2Anchor.toLowerCase();
      if (isAnchor) continue;
      const r = await p.l2.getTransactionReceipt({ hash: tx.hash });
      tips += (r.effectiveGasPrice - baseFee) * r.gasUsed;
      base += baseFee * r.gasUsed;
      if (pct !== null) shared += (baseFee * r.gasUsed * BigInt(pct)) / 100n;
      count++;
    }
    expected.push(
      `${n}:${str(block.hash)} ${[tips, base, pct === null ? null : shared, count].map(str).join("|")}`,
    );
  }
  const rows = await p.query<Record<string, unknown>>(
    `SELECT l2_block_number, l2_block_hash, priority_fee_wei, base_fee_wei, shared_base_fee_wei, tx_count FROM canonical_l2_block_fees WHERE l2_block_number BETWEEN ${p.l2Range.from} AND ${p.l2Range.to}`,
  );
  const actual = rows.map(
    (r) =>
      `${str(r.l2_block_number)}:${str(r.l2_block_hash)} ${[r.priority_fee_wei, r.base_fee_wei, r.shared_base_fee_wei, r.tx_count].map(str).join("|")}`,
  );
  return compareSets("l2_block_fees", expected, actual);
}

const PROPOSE = new Set(["BatchProposed", "Proposed"]);
const PROVE = new Set(["BatchesProved", "Proved"]);

async function checkL1TxCosts(p: VerifyFeeParameters): Promise<TableCheck> {
  const parsed = [
    ...parseEventLogs({ abi: inboxAbi, logs: [...p.logs] }),
    ...parseEventLogs({ abi: shastaInboxAbi, logs: [...p.logs] }),
    ...parseEventLogs({ abi: shastaProvedWithCheckpointAbi, logs: [...p.logs] }),
  ];
  const roles = new Map<string, { tx: Hex; block: string; role: string }>();
  for (const log of parsed) {
    const role = PROPOSE.has(log.eventName) ? "propose" : PROVE.has(log.eventName) ? "prove" : undefined;
    if (!role || log.transactionHash === null || log.blockHash === null) continue;
    const id = `${str(log.transactionHash)}:${str(log.blockHash)}`;
    if (roles.get(id)?.role !== "propose")
      roles.set(id, { tx: log.transactionHash, block: str(log.blockHash), role });
  }
  const expected: string[] = [];
  for (const [id, t] of roles) {
    const r = await p.l1.getTransactionReceipt({ hash: t.tx });
    const blobGas = r.blobGasUsed ?? 0n;
    const cost = r.gasUsed * r.effectiveGasPrice + blobGas * (r.blobGasPrice ?? 0n);
    expected.push(`${id} ${t.role}|${cost}|${blobGas}`);
  }
  const rows = await p.query<Record<string, unknown>>(
    `SELECT l1_tx_hash, l1_block_hash, role, cost_wei, blob_gas_used FROM canonical_l1_tx_costs WHERE l1_block_number BETWEEN ${p.l1Range.from} AND ${p.l1Range.to}`,
  );
  return compareSets(
    "l1_tx_costs",
    expected,
    rows.map(
      (r) =>
        `${str(r.l1_tx_hash)}:${str(r.l1_block_hash)} ${str(r.role)}|${str(r.cost_wei)}|${str(r.blob_gas_used)}`,
    ),
  );
}
