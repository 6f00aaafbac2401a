import { repairRange } from "../../ops/repairRange.js";
import { CHAIN_RANGE_OPTIONS, chainRangeAgainstSink } from "../chainRangeAgainstSink.js";
import { EXIT, emit, intOption, parseCommand, TARGET_USAGE } from "../cliSupport.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark repair --chain l1|l2 --from <block> [--to <block>] [options]

Repairs what the ingestor cannot walk back on its own (a reorg deeper than MAX_REORG_DEPTH, or below
what its published-hash record holds, stops the chain with ReorgTooDeepError): moves the live cursor back to --from, records
every block hash the sink holds in the range as pending, and re-reads the range with the ingestor's
own code. Hashes the chain no longer holds are published as orphaned, the chain's blocks as restored
(one reorg seq, split into messages under the processor's cap); the scheduled ingestor then goes on.
Refuses a --from the fork reaches below (the sink's block under it is not the chain's): start lower.

Options
  --chain l1|l2             which chain
  --from <n>                first block to re-read: at or below the fork point
  --to <n>                  last block to re-read (default: the last block the ingestor published)
  --blocks-per-range <n>    blocks per poll (default 500)
  --duckdb <path>           read the sink from this DuckDB file
  --sink-url <url>          read the sink through a sink query server (default: the local stack's)

${TARGET_USAGE}`;

export const repairCommand: Command = {
  name: "repair",
  summary: "re-read a block range against the sink and publish its orphan/restore reorg events",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(argv, CHAIN_RANGE_OPTIONS);
    const { values } = parsed;
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const { chain, from, to, target, settings, reread, sink } = await chainRangeAgainstSink(parsed, io, {
      minBlock: 1,
      command: "repair",
    });
    try {
      const result = await repairRange({
        ...reread,
        from,
        to,
        sink,
        partitions: settings.partitions,
        blocksPerRange: intOption(values, "blocks-per-range", { min: 1 }),
      });
      const summary = `repaired ${chain} ${result.from}..${result.to}: ${result.orphaned} block(s) orphaned, ${result.blocks} re-read and restored, ${result.inboxEvents} inbox event(s); the ingestor goes on from ${result.next}.\nNext: once the queue has drained: tidemark verify ${chain === "l1" ? "--from" : "--l2-from"} ${result.from} ${chain === "l1" ? "--to" : "--l2-to"} ${result.to}`;
      emit(io, values.json === true, { target: target.label, chain, ...result }, summary);
      return EXIT.ok;
    } finally {
      await sink.close?.();
    }
  },
};
