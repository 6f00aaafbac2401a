import { countOf, VERIFY_WINDOW_DEFAULTS } from "../../ops/verifyInWindows.js";
import { type Finding, verifySink } from "../../ops/verifySink.js";
import {
  EXIT,
  emit,
  intOption,
  parseCommand,
  printUsage,
  stringOption,
  TARGET_USAGE,
  TargetError,
  table,
  UsageError,
} from "../cliSupport.js";
import { createProgressBar } from "../progressBar.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark verify [--from <n>] [--to <n>] [--l2-from <n>] [--l2-to <n>] [options]

Checks the sink against the chain itself (read back over RPC, independent of the ingestor's code):
gaps in block numbers, missing or duplicated rows, rows still counted as canonical that a reorg
orphaned, and batches proposed but never proved past the threshold. Prints each finding with the
command that repairs it; exits 1 on any finding. The chain is read in windows (bounded memory, one
provider-sized log read each) with a progress bar; --checkpoint makes a long run resumable.

Options
  --from <n>, --to <n>          L1 blocks to check (default: from / to what the sink holds)
  --l2-from <n>, --l2-to <n>    L2 blocks to check (default: from / to what the sink holds)
  --window <blocks>             blocks per chain per window (default ${VERIFY_WINDOW_DEFAULTS.windowBlocks})
  --checkpoint <file>           keep progress here; a rerun with the same ranges resumes after the last window
  --unproven-after <minutes>    a batch without proof after this much chain time is a finding (default 180)
  --duckdb <path>               read this DuckDB file (when no process holds it)
  --sink-url <url>              read through a sink query server (default: SINK_QUERY_URL of the local stack)
                                (with --stage and neither: Athena, in the stage's workgroup and Glue database)

${TARGET_USAGE}`;

export const verifyCommand: Command = {
  name: "verify",
  summary: "check the sink against the chain: gaps, duplicates, orphans, unproven batches",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, {
      from: { type: "string" },
      to: { type: "string" },
      "l2-from": { type: "string" },
      "l2-to": { type: "string" },
      "unproven-after": { type: "string" },
      duckdb: { type: "string" },
      "sink-url": { type: "string" },
      window: { type: "string" },
      checkpoint: { type: "string" },
    });
    const { values } = parsed;
    if (values.help) return printUsage(io, USAGE);
    const range = (a: string, b: string) => {
      const from = intOption(values, a);
      const to = intOption(values, b);
      if (from !== undefined && to !== undefined && to < from)
        throw new UsageError(`--${b} ${to} is below --${a} ${from}`);
      return { from, to };
    };
    const windowBlocks = intOption(values, "window") ?? VERIFY_WINDOW_DEFAULTS.windowBlocks;
    if (windowBlocks < 1) throw new UsageError(`--window ${windowBlocks}: give at least 1 block`);
    const l1Range = range("from", "to");
    const l2Range = range("l2-from", "l2-to");
    const unprovenMinutes = intOption(values, "unproven-after", { min: 1 }) ?? 180;
    const target = resolveTarget(parsed, io);
    const sink = await target.sink({
      duckdb: stringOption(values, "duckdb"),
      sinkUrl: stringOption(values, "sink-url"),
    });
    if (!sink) {
      throw new TargetError(
        target.kind === "stage"
          ? "no SQL access to the deployed sink: the stack outputs name no Athena workgroup (AthenaWorkGroupName, GlueDatabaseName: redeploy with this version of lib/, or the stage has no Firehose sink); pass --sink-url <url> for ClickHouse, or --duckdb <file>"
          : "no sink to read: the local stack sets SINK_QUERY_URL; or pass --duckdb <file>",
      );
    }
    const urls = await target.rpcUrls();
    const l1Url = urls.l1[0];
    const l2Url = urls.l2[0];
    if (!l1Url || !l2Url) throw new TargetError("verify reads both chains: set L1_RPC_URLS and L2_RPC_URLS");
    try {
      const json = values.json === true;
      if (!json) io.stderr.write(`verifying ${target.label} against the chain...\n`);
      const settings = await target.ingestorSettings();
      let bar: ReturnType<typeof createProgressBar> | undefined;
      const report = await verifySink({
        sink,
        l1Url,
        l2Url,
        inboxAddresses: settings.inboxAddresses,
        network: settings.network,
        l1Range,
        l2Range,
        unprovenAfterSeconds: unprovenMinutes * 60,
        windows: {
          windowBlocks,
          checkpointFile: stringOption(values, "checkpoint"),
          onProgress: (done, total) => {
            bar ??= createProgressBar({
              label: "verify",
              total,
              stream: io.stderr,
              enabled: !json,
              unit: "blocks",
            });
            bar.update(done, total);
          },
        },
      });
      bar?.finish();
      const checked = report.chain.tables.map((t) => [
        t.table,
        t.expected,
        t.sinkRows,
        countOf(t, "missing"),
        countOf(t, "duplicates"),
        countOf(t, "unexpected"),
      ]);
      const human = [
        `sink vs chain — L1 ${report.ranges.l1.from}..${report.ranges.l1.to}, L2 ${report.ranges.l2.from}..${report.ranges.l2.to}`,
        table([["table", "chain", "sink", "missing", "duplicate", "wrongly canonical"], ...checked]),
        `orphaned blocks marked: l1 ${report.chain.orphans.l1.marked}/${report.chain.orphans.l1.offChain}, l2 ${report.chain.orphans.l2.marked}/${report.chain.orphans.l2.offChain}`,
        "",
        report.ok
          ? "OK: no gaps, no duplicates, every orphan marked, no batch unproven past the threshold."
          : renderFindings(report.findings),
      ].join("\n");
      emit(io, json, { target: target.label, ...report }, human);
      return report.ok ? EXIT.ok : EXIT.findings;
    } finally {
      await sink.close?.();
    }
  },
};

function renderFindings(findings: readonly Finding[]): string {
  const lines = [`FAILED: ${findings.length} finding(s)`];
  for (const f of findings) {
    lines.push(
      `- ${f.kind} in ${f.table}: ${f.count}${f.examples.length > 0 ? ` (e.g. ${f.examples.slice(0, 3).join(", ")})` : ""}`,
    );
    if (f.action) lines.push(`  → ${f.action}`);
  }
  return lines.join("\n");
}
