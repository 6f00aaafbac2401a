import { type Hex, hexToNumber, type Log, type PublicClient, parseEventLogs } from "viem";
import type { TaikoNetwork } from "../../lambdas/shared/taiko/networks.js";
import { shastaInboxAbi } from "../../lambdas/shared/taiko/shastaAbi.js";
import { compareSets, type QueryFn, type TableCheck } from "./verifyAgainstChain.js";

/**
 * The Shasta tables against the chain, read back over RPC like the Pacaya ones: every canonical log
 * of the Shasta inbox is parsed here with the protocol ABI (not the ingestor's decoder), each row is
 * named by its transaction and log index and compared value by value with the canonical view; the
 * L2 side's proposal links are read from the canonical L2 headers' extraData (byte 0 base-fee sharing
 * %, bytes 1..6 proposal id; Derivation.md), parsed here by hand.
 */
export interface VerifyShastaParameters {
  readonly network: TaikoNetwork;
  readonly l2: PublicClient;
  /** Every log of the watched contracts in the L1 range (verifyAgainstChain reads them once). */
  readonly logs: readonly Log[];
  readonly l1Range: { from: number; to: number };
  readonly l2Range: { from: number; to: number };
  readonly query: QueryFn;
}

/** Each table's compared columns, in the order the expected strings below are built. */
const COLUMNS = {
  proposals: [
    "proposal_id",
    "proposer",
    "parent_proposal_hash",
    "basefee_sharing_pctg",
    "source_count",
    "forced_inclusion_count",
    "blob_count",
  ],
  proposal_sources: [
    "proposal_id",
    "source_index",
    "is_forced_inclusion",
    "blob_hashes",
    "blob_offset",
    "blob_ts",
  ],
  proofs: ["first_proposal_id", "first_new_proposal_id", "last_proposal_id", "actual_prover"],
  bond_events: [
    "kind",
    "account",
    "counterparty",
    "amount_gwei",
    "credited_gwei",
    "slashed_gwei",
    "withdrawable_at",
  ],
  state_recovered: ["next_proposal_id", "last_finalized_proposal_id", "last_finalized_block_hash"],
  forced_inclusions_voided: ["old_head", "new_head"],
  inbox_activated: ["last_pacaya_block_hash"],
  forced_inclusions_saved: ["fee_in_gwei", "blob_hashes", "blob_offset", "blob_ts"],
} as const;
type L1Table = keyof typeof COLUMNS;

const str = (v: unknown): string => (v === null || v === undefined ? "null" : String(v).toLowerCase());
const row = (...values: unknown[]): string => values.map(str).join("|");
type Slice = { blobHashes: readonly Hex[]; offset: number; timestamp: number };
const slice = (s: Slice) => [s.blobHashes.join(","), s.offset, s.timestamp];

export async function verifyShastaTables(p: VerifyShastaParameters): Promise<TableCheck[]> {
  const inboxes = new Set(
    p.network.forks.filter((f) => f.decoder === "shasta").map((f) => f.contracts.inbox.toLowerCase()),
  );
  const logs = p.logs.filter((l) => inboxes.has(l.address.toLowerCase()));
  const expected = expectedL1Rows(logs);
  const checks: TableCheck[] = [];
  for (const table of Object.keys(COLUMNS) as L1Table[]) {
    const rows = await p.query<Record<string, unknown>>(
      `SELECT l1_tx_hash, log_index, l1_block_hash, ${COLUMNS[table].join(", ")} FROM canonical_${table} WHERE l1_block_number BETWEEN ${p.l1Range.from} AND ${p.l1Range.to}`,
    );
    const actual = rows.map((r) =>
      table === "proposal_sources"
        ? `${str(r.l1_tx_hash)}:${str(r.log_index)}:${str(r.source_index)}@${str(r.l1_block_hash)} ${row(...COLUMNS[table].map((c) => r[c]))}`
        : `${str(r.l1_tx_hash)}:${str(r.log_index)}@${str(r.l1_block_hash)} ${row(...COLUMNS[table].map((c) => r[c]))}`,
    );
    checks.push(compareSets(table, expected[table], actual));
  }
  checks.push(await checkProposalBlocks(p));
  return checks;
}

function expectedL1Rows(logs: readonly Log[]): Record<L1Table, string[]> {
  const out = Object.fromEntries(Object.keys(COLUMNS).map((t) => [t, [] as string[]])) as Record<
    L1Table,
    string[]
  >;
  for (const log of parseEventLogs({ abi: shastaInboxAbi, logs: logs as Log[] })) {
    const at = `${str(log.transactionHash)}:${log.logIndex}@${str(log.blockHash)}`;
    const put = (table: L1Table, values: string) => out[table].push(`${at} ${values}`);
    const bond = (
      kind: string,
      account: Hex,
      counterparty: Hex | null,
      amounts: unknown[],
      withdrawableAt: unknown,
    ) => put("bond_events", row(kind, account, counterparty, ...amounts, withdrawableAt));
    switch (log.eventName) {
      case "Proposed": {
        const a = log.args;
        const forced = a.sources.filter((s) => s.isForcedInclusion).length;
        const blobs = a.sources.reduce((n, s) => n + s.blobSlice.blobHashes.length, 0);
        put(
          "proposals",
          row(a.id, a.proposer, a.parentProposalHash, a.basefeeSharingPctg, a.sources.length, forced, blobs),
        );
        a.sources.forEach((s, i) => {
          out.proposal_sources.push(
            `${str(log.transactionHash)}:${log.logIndex}:${i}@${str(log.blockHash)} ${row(a.id, i, s.isForcedInclusion ? 1 : 0, ...slice(s.blobSlice))}`,
          );
        });
        break;
      }
      case "Proved":
        put(
          "proofs",
          row(
            log.args.firstProposalId,
            log.args.firstNewProposalId,
            log.args.lastProposalId,
            log.args.actualProver,
          ),
        );
        break;
      case "StateRecovered":
        put(
          "state_recovered",
          row(log.args.nextProposalId, log.args.lastFinalizedProposalId, log.args.lastFinalizedBlockHash),
        );
        break;
      case "ForcedInclusionsVoided":
        put("forced_inclusions_voided", row(log.args.oldHead, log.args.newHead));
        break;
      case "InboxActivated":
        put("inbox_activated", row(log.args.lastPacayaBlockHash));
        break;
      case "ForcedInclusionSaved":
        put(
          "forced_inclusions_saved",
          row(log.args.forcedInclusion.feeInGwei, ...slice(log.args.forcedInclusion.blobSlice)),
        );
        break;
      case "BondDeposited":
        bond("deposited", log.args.recipient, log.args.depositor, [log.args.amount, null, null], null);
        break;
      case "BondWithdrawn":
        bond("withdrawn", log.args.account, null, [log.args.amount, null, null], null);
        break;
      case "WithdrawalRequested":
        bond("withdrawal_requested", log.args.account, null, [null, null, null], log.args.withdrawableAt);
        break;
      case "WithdrawalCancelled":
        bond("withdrawal_cancelled", log.args.account, null, [null, null, null], null);
        break;
      case "LivenessBondSettled":
        bond(
          "liveness_bond_settled",
          log.args.payer,
          log.args.payee,
          [log.args.livenessBond, log.args.credited, log.args.slashed],
          null,
        );
        break;
    }
  }
  return out;
}

/** proposal_blocks: one row per canonical L2 block at or past the Shasta activation, from its header. */
async function checkProposalBlocks(p: VerifyShastaParameters): Promise<TableCheck> {
  const shasta = p.network.forks.find((f) => f.decoder === "shasta");
  const numbers = Array.from(
    { length: Math.max(0, p.l2Range.to - p.l2Range.from + 1) },
    (_, i) => p.l2Range.from + i,
  );
  const blocks = shasta
    ? await Promise.all(numbers.map((n) => p.l2.getBlock({ blockNumber: BigInt(n) })))
    : [];
  const expected = blocks
    .filter((b) => shasta !== undefined && Number(b.timestamp) >= shasta.activation.timestamp)
    .map((b) => {
      const x = b.extraData;
      return `${Number(b.number)}:${str(b.hash)} ${row(hexToNumber(`0x${x.slice(4, 16)}`), hexToNumber(`0x${x.slice(2, 4)}`))}`;
    });
  const rows = await p.query<Record<string, unknown>>(
    `SELECT l2_block_number, l2_block_hash, proposal_id, basefee_sharing_pctg FROM canonical_proposal_blocks WHERE l2_block_number BETWEEN ${p.l2Range.from} AND ${p.l2Range.to}`,
  );
  return compareSets(
    "proposal_blocks",
    expected,
    rows.map(
      (r) =>
        `${str(r.l2_block_number)}:${str(r.l2_block_hash)} ${row(r.proposal_id, r.basefee_sharing_pctg)}`,
    ),
  );
}
