import { backfillRange, DEFAULT_BACKFILL_BLOCKS_PER_RANGE } from "../../ops/backfillRange.js";
import { chainRereadTarget } from "../chainRangeAgainstSink.js";
import {
  choiceOption,
  EXIT,
  emit,
  intOption,
  parseCommand,
  printUsage,
  TARGET_USAGE,
  TargetError,
  UsageError,
} from "../cliSupport.js";
import { createProgressBar } from "../progressBar.js";
import { resolveTarget } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark backfill --chain l1|l2 --from <block> --to <block> [options]

Publishes the blocks from..to (inclusive) — headers, and on L1 the inbox events — through the
ingestor's own code, onto the same queue. Safe over ranges already ingested: every event keeps its
observation id, so SQS (5 min) and the processor's idempotency table (30 days) drop repeats.
Resumable: progress is kept in the state table item cursor#<chain>#backfill-<from>-<to>; run the same
command again after an interruption (Ctrl-C, a crash) and it continues where it stopped.

Options
  --chain l1|l2             which chain
  --from <n>, --to <n>      the range, inclusive
  --blocks-per-range <n>    blocks per publish and cursor write (default ${DEFAULT_BACKFILL_BLOCKS_PER_RANGE}, the most the cursor holds)

${TARGET_USAGE}`;

export const backfillCommand: Command = {
  name: "backfill",
  summary: "publish a historical block range through the ingestor's code (resumable, idempotent)",
  usage: USAGE,
  async run(argv, io) {
    const { values, ...rest } = parseCommand(argv, {
      chain: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "blocks-per-range": { type: "string" },
    });
    if (values.help) return printUsage(io, USAGE);
    const chain = choiceOption(values, "chain", ["l1", "l2"] as const, true) as "l1" | "l2";
    const from = intOption(values, "from", { required: true }) as number;
    const to = intOption(values, "to", { required: true }) as number;
    if (to < from) throw new UsageError(`--to ${to} is below --from ${from}`);
    const blocksPerRange = intOption(values, "blocks-per-range", { min: 1 });
    if (blocksPerRange !== undefined && blocksPerRange > DEFAULT_BACKFILL_BLOCKS_PER_RANGE) {
      // A wider range's pending list would not fit the cursor item (DynamoDB's 400 KB).
      throw new UsageError(`--blocks-per-range must be at most ${DEFAULT_BACKFILL_BLOCKS_PER_RANGE}`);
    }
    const target = resolveTarget({ values, ...rest }, io);
    const urls = (await target.rpcUrls())[chain];
    if (urls.length === 0) throw new TargetError(`no ${chain} RPC URL (set ${chain.toUpperCase()}_RPC_URLS)`);
    const settings = await target.ingestorSettings();
    if (chain === "l1" && settings.inboxAddresses.length === 0) {
      throw new TargetError("no inbox address for L1 (set TAIKO_NETWORK or INBOX_ADDRESS)");
    }
    const json = values.json === true;
    const bar = createProgressBar({
      label: `backfill ${chain}`,
      total: to - from + 1,
      stream: io.stderr,
      enabled: !json,
      unit: "blocks",
    });
    const result = await backfillRange({
      ...chainRereadTarget(target, settings, chain, urls),
      from,
      to,
      partitions: settings.partitions,
      blocksPerRange,
      signal: io.signal,
      onProgress: ({ next }) => bar.update(next - from),
    });
    bar.update(result.next - from);
    bar.finish();
    const summary = result.complete
      ? `backfilled ${chain} ${from}..${to}${result.resumedFrom > from ? ` (resumed at ${result.resumedFrom})` : ""}: ${result.blocks} blocks and ${result.inboxEvents} inbox events published${result.reorgs > 0 ? `, ${result.reorgs} reorg(s) met` : ""}; cursor ${result.cursorKey}.\nNext: once the queue has drained (tidemark health shows its depth): tidemark verify ${chain === "l1" ? "--from" : "--l2-from"} ${from} ${chain === "l1" ? "--to" : "--l2-to"} ${to}`
      : `backfill of ${chain} ${from}..${to} interrupted at block ${result.next}; run the same command to resume.`;
    emit(io, json, { target: target.label, chain, from, to, ...result }, summary);
    return result.complete ? EXIT.ok : EXIT.findings;
  },
};
