import type { DurationStats } from "../../lambdas/queries/chainMetrics.js";
import type { LocalPipelineResult, Progress } from "./runLocalPipeline.js";

/** One line, rewritten in place while the pipeline runs. */
export function renderProgress(p: Progress): string {
  const head = (n: number | undefined) => (n === undefined ? "—" : `#${n}`);
  return [
    `[${p.phase}]`,
    `L1 ${head(p.l1Head)} L2 ${head(p.l2Head)}`,
    `published ${p.published.headers} blocks ${p.published.inboxEvents} events ${p.published.reorgs} reorgs`,
    `queue ${p.queueDepth}`,
    `processed ${p.processed}`,
    `duplicates dropped ${p.duplicatesDropped}`,
    `DLQ ${p.dlq}`,
  ].join(" | ");
}

/** The report printed at the end of `npm start`. */
export function renderReport(r: LocalPipelineResult): string {
  const out: string[] = [];
  out.push(
    "",
    `Verification against the canonical chain (L1 #${r.ranges.l1.from}–#${r.ranges.l1.to}, L2 #${r.ranges.l2.from}–#${r.ranges.l2.to})`,
  );
  out.push(
    table(
      ["table", "in sink", "on chain", "missing", "not canonical", "duplicates", ""],
      r.verification.tables.map((t) => [
        t.table,
        String(t.sinkRows),
        String(t.expected),
        String(t.missing.length),
        String(t.unexpected.length),
        String(t.duplicates.length),
        t.missing.length + t.unexpected.length + t.duplicates.length === 0 ? "ok" : "FAIL",
      ]),
    ),
  );
  for (const t of r.verification.tables) {
    for (const [what, list] of [
      ["missing", t.missing],
      ["not canonical", t.unexpected],
      ["duplicate", t.duplicates],
    ] as const) {
      if (list.length > 0)
        out.push(
          `  ${t.table}: ${what}: ${list.slice(0, 5).join(", ")}${list.length > 5 ? ` … (${list.length})` : ""}`,
        );
    }
  }
  for (const chain of ["l1", "l2"] as const) {
    const o = r.verification.orphans[chain];
    out.push(
      `Orphaned ${chain.toUpperCase()} blocks: ${o.offChain} ingested then reorged out, ${o.marked} marked orphaned${o.unmarked.length > 0 ? `, UNMARKED: ${o.unmarked.slice(0, 5).join(", ")}` : ""}`,
    );
  }

  const c = r.counters;
  out.push(
    "",
    "Pipeline",
    `  ingestor invocations ${c.ingestorInvocations} (${c.leaseStandDowns} chain runs ended waiting on the other invocation's lease)`,
    `  published: ${c.publishedHeaders} headers, ${c.publishedInboxEvents} inbox events, ${c.publishedReorgs} reorgs; ${c.duplicatesPublished} duplicates injected`,
    `  processed ${c.processed}, duplicates dropped ${c.duplicatesDropped}, retried ${c.retried}, dead-lettered ${c.deadLettered}`,
    `  DLQ: ${r.dlq.count} message(s) of ${c.poisonSent} poison sent${
      Object.keys(r.dlq.byErrorType).length > 0
        ? ` — ${Object.entries(r.dlq.byErrorType)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`
        : ""
    }`,
  );
  if (r.devnet) {
    const d = r.devnet;
    out.push(
      `  devnet: ${d.l2Blocks} L2 blocks, ${d.l1Blocks} L1 blocks, ${d.batchesProposed} batches proposed / ${d.batchesProved} proved / ${d.batchesVerified} verified, ${d.forcedInclusions} forced inclusions; reorgs injected L1 ${d.reorgs.l1.total}, L2 ${d.reorgs.l2.total}; ${d.reincludedTxs.l1} L1 txs re-included in another block`,
    );
    const sh = d.shasta;
    if (sh) {
      out.push(
        sh.activatedInL1Block === undefined
          ? "  Shasta: not activated during the run"
          : `  Shasta: activated in L1 block ${sh.activatedInL1Block}; ${sh.shastaL2Blocks} Shasta L2 blocks, ${sh.proposals} proposals, ${sh.proofs} aggregated proofs, forced inclusions ${sh.forcedInclusionsSaved} saved / ${sh.forcedInclusionsIncluded} included, ${sh.bondEvents} bond events`,
      );
    }
  }

  const m = r.metrics;
  out.push(
    "",
    "Chain metrics (canonical rows only)",
    `  L2 block cadence      ${dur(m.l2BlockCadence)}`,
    `  batch posting cadence ${dur(m.batchPostingCadence)}`,
    `  prove time            ${dur(m.proveTime)}`,
    `  verify time           ${dur(m.verifyTime)}`,
    `  L2 blocks ${m.l2Blocks}, transactions ${m.l2Transactions}, TPS ${m.tps === null ? "—" : m.tps.toFixed(2)} (chain time)`,
    `  sequencers: ${m.sequencers.map((s) => `${s.sequencer} ${s.blocks} (${(s.share * 100).toFixed(1)} %)`).join(", ") || "—"}`,
    `  reorgs: ${m.reorgs.map((x) => `${x.chain.toUpperCase()} ${x.count}${x.maxDepth === null ? "" : ` (max depth ${x.maxDepth})`}`).join(", ")}; forced inclusions ${m.forcedInclusions}`,
  );
  const fm = r.feeMetrics;
  if (fm) {
    out.push(
      `  fees (${fm.l2Blocks} L2 blocks, ${fm.l2Txs} tx, anchors excluded): tips ${fm.priorityFeeWei} wei, base fee ${fm.baseFeeWei} wei, shared ${fm.sharedBaseFeeWei} wei (${fm.blocksWithoutShare} blocks without a share)`,
      `  L1 data cost ${fm.l1DataCostWei} wei (${fm.proposingTxs} proposing tx), proving cost ${fm.provingCostWei} wei (${fm.provingTxs} proving tx); sequencer profit ${fm.sequencerProfitWei} wei`,
    );
  }
  const sm = r.shastaMetrics;
  if (sm) {
    out.push(
      `  Shasta time to finality ${dur(sm.timeToFinality)}`,
      `  Shasta proposal cadence ${dur(sm.proposalCadence)}`,
      `  Shasta provers: ${sm.provers.map((p) => `${p.prover} ${p.proofs} proofs, ${p.proposalsFinalized} proposals finalized`).join("; ") || "—"}`,
      `  Shasta forced inclusions: ${sm.forcedInclusions.saved} saved, ${sm.forcedInclusions.included} included, ${sm.forcedInclusions.voided} voided`,
      `  Shasta liveness bonds: ${sm.bonds.settlements} settled (${sm.bonds.slashedSettlements} slashed), bond ${sm.bonds.livenessBondGwei} gwei, credited ${sm.bonds.creditedGwei}, slashed ${sm.bonds.slashedGwei}`,
    );
  }

  out.push(
    "",
    `Took ${(r.timingsMs.total ?? 0) / 1000} s (${Object.entries(r.timingsMs)
      .filter(([k]) => k !== "total")
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(", ")})`,
  );
  out.push(
    r.ok
      ? "VERIFIED: nothing lost, nothing duplicated, orphans marked, poison contained."
      : `FAILED:\n${r.problems.map((p) => `  - ${p}`).join("\n")}`,
    "",
  );
  return out.join("\n");
}

function dur(s: DurationStats): string {
  if (s.samples === 0 || s.avg === null) return "no samples";
  return `avg ${s.avg.toFixed(1)} s, p50 ${s.p50?.toFixed(1)} s, p95 ${s.p95?.toFixed(1)} s (${s.samples} samples)`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ")}`;
  return [line(header), ...rows.map(line)].join("\n");
}
