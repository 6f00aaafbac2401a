import { type ReconcileSinkReturnType, reconcileSink } from "../../ops/reconcileSink.js";
import { CHAIN_RANGE_OPTIONS, chainRangeAgainstSink } from "../chainRangeAgainstSink.js";
import { type CliIo, EXIT, emit, intOption, type OptionSpec, type ParsedCommand } from "../cliSupport.js";
import { createProgressBar } from "../progressBar.js";

/** The options of `tidemark sink reconcile` (beside replay's, in sinkCommand.ts). */
export const RECONCILE_OPTIONS: OptionSpec = CHAIN_RANGE_OPTIONS;

export const RECONCILE_USAGE = `tidemark sink reconcile --chain l1|l2 --from <block> [--to <block>] [options]

Proves that what the processor acknowledged is in the sink, and re-drives what is not. The range is
re-read from the chain with the ingestor's own code (every event with the observation id it was
published under) and each event's rows are looked up in the sink. A record the idempotency table holds
as done whose rows are missing (Firehose accepted it and then failed the delivery, a lost write, half
of a ClickHouse record) is reopened and published again with a fresh deduplication id, as is one that
was never applied; the processor writes it whole, and rows already there stay single. A record a
worker is applying right now is left for the next run. Run it again once the queue has drained: it
finds nothing. Exits 1 when records were left in flight, or (--dry-run) found incomplete.

  --chain l1|l2             which chain
  --from <n>                first block to check
  --to <n>                  last block (default: the last block the ingestor published)
  --blocks-per-range <n>    blocks read and checked per step (default 500)
  --dry-run                 find and report; reopen and publish nothing
  --duckdb <path>           read the sink from this DuckDB file (a copy of the deployed tables)
  --sink-url <url>          read the sink through a sink query server (default: the local stack's)`;

/** `tidemark sink reconcile`: the CLI side of scripts/ops/reconcileSink.ts. */
export async function runSinkReconcile(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const { values } = parsed;
  const { chain, from, to, target, settings, reread, sink } = await chainRangeAgainstSink(parsed, io, {
    minBlock: 0,
    command: "reconcile",
  });
  const json = values.json === true;
  const dryRun = values["dry-run"] === true;
  try {
    const bar =
      to === undefined
        ? undefined
        : createProgressBar({
            label: `reconcile ${chain}`,
            total: to - from + 1,
            stream: io.stderr,
            enabled: !json,
            unit: "blocks",
          });
    const result = await reconcileSink({
      ...reread,
      from,
      ...(to === undefined ? {} : { to }),
      sink,
      idempotencyTable: target.idempotencyTable,
      partitions: settings.partitions,
      dryRun,
      blocksPerRange: intOption(values, "blocks-per-range", { min: 1 }),
      onProgress: ({ next }) => bar?.update(next - from),
    });
    bar?.finish();
    emit(io, json, { target: target.label, dryRun, ...result }, summary(result, dryRun));
    const found = Object.values(result.incomplete).reduce((s, n) => s + n, 0);
    return result.incomplete["in-flight"] > 0 || (dryRun && found > 0) ? EXIT.findings : EXIT.ok;
  } finally {
    await sink.close?.();
  }
}

function summary(r: ReconcileSinkReturnType, dryRun: boolean): string {
  const { acknowledged, unapplied } = r.incomplete;
  const inFlight = r.incomplete["in-flight"];
  const head = `${r.chain} ${r.from}..${r.to}: ${r.checked} events in ${r.blocks} blocks checked against the sink`;
  if (acknowledged + unapplied + inFlight === 0) return `${head}; every record is whole.`;
  return [
    `${head}; incomplete: ${acknowledged} acknowledged but missing, ${unapplied} never applied, ${inFlight} in flight.`,
    ...Object.entries(r.missingRows).map(([t, n]) => `  ${t.padEnd(32)} ${n} row(s) missing`),
    ...r.examples.map((e) => `  ${e.status.padEnd(12)} ${e.eventKey}  (${e.missing})`),
    dryRun
      ? "Dry run: nothing reopened or published. Run it without --dry-run to re-drive them."
      : `Re-drove ${r.redriven} event(s). Once the queue has drained, run the same command again: it should find nothing.`,
  ].join("\n");
}
