import { createChainClient } from "../../lambdas/ingestor/chainReader.js";
import type { Chain } from "../../lambdas/shared/events.js";
import type { SqlQueryable } from "../../lambdas/sink/SqlQueryable.js";
import type { ChainRereadTarget } from "../ops/backfillRange.js";
import {
  type CliIo,
  choiceOption,
  intOption,
  type OptionSpec,
  type ParsedCommand,
  stringOption,
  TargetError,
  UsageError,
} from "./cliSupport.js";
import { resolveTarget, type Target } from "./resolveTarget.js";

/** The options chainRangeAgainstSink reads. */
export const CHAIN_RANGE_OPTIONS: OptionSpec = {
  chain: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "blocks-per-range": { type: "string" },
  duckdb: { type: "string" },
  "sink-url": { type: "string" },
};

/** What `repair` and `sink reconcile` both start from: a chain's block range, its RPC URLs and the sink. */
export interface ChainRangeAgainstSink {
  readonly chain: Chain;
  readonly from: number;
  readonly to: number | undefined;
  readonly target: Target;
  readonly settings: Awaited<ReturnType<Target["ingestorSettings"]>>;
  /** Where the re-read reads (the chain's RPC URLs) and publishes (the target's queue), as the ingestor does. */
  readonly reread: ChainRereadTarget;
  readonly sink: SqlQueryable & { close?(): Promise<void> };
}

/**
 * Reads `--chain`, `--from` (at least `minBlock`), `--to`, resolves the target and its ingestor's
 * settings, and opens the sink (`--duckdb` / `--sink-url`; the caller closes it); `command` names who
 * needs the sink when none is reachable.
 */
export async function chainRangeAgainstSink(
  parsed: ParsedCommand,
  io: CliIo,
  o: { readonly minBlock: number; readonly command: string },
): Promise<ChainRangeAgainstSink> {
  const { values } = parsed;
  const chain = choiceOption(values, "chain", ["l1", "l2"] as const, true) as Chain;
  const from = intOption(values, "from", { required: true, min: o.minBlock }) as number;
  const to = intOption(values, "to", { min: o.minBlock });
  if (to !== undefined && to < from) throw new UsageError(`--to ${to} is below --from ${from}`);
  const target = resolveTarget(parsed, io);
  const urls = (await target.rpcUrls())[chain];
  if (urls.length === 0) throw new TargetError(`no ${chain} RPC URL (set ${chain.toUpperCase()}_RPC_URLS)`);
  const sink = await target.sink({
    duckdb: stringOption(values, "duckdb"),
    sinkUrl: stringOption(values, "sink-url"),
  });
  if (!sink)
    throw new TargetError(
      `${o.command} reads the sink: pass --duckdb <file> or --sink-url <url> (a stage with a Firehose sink is read through Athena)`,
    );
  try {
    const settings = await target.ingestorSettings();
    return {
      chain,
      from,
      to,
      target,
      settings,
      reread: chainRereadTarget(target, settings, chain, urls),
      sink,
    };
  } catch (error) {
    await sink.close?.();
    throw error;
  }
}

/** Where an operator's re-read of `chain` reads (these RPC URLs) and publishes (the target's queue). */
export function chainRereadTarget(
  target: Target,
  settings: Awaited<ReturnType<Target["ingestorSettings"]>>,
  chain: Chain,
  urls: readonly string[],
): ChainRereadTarget {
  return {
    chain,
    client: createChainClient({ urls: [...urls] }),
    sqs: target.sqs(),
    ddb: target.ddb(),
    queueUrl: target.queueUrl,
    dlqUrl: target.dlqUrl,
    stateTable: target.stateTable,
    inboxAddresses: settings.inboxAddresses,
    ...(settings.network ? { network: settings.network } : {}),
    readFees: settings.readFees,
    readPreconf: settings.readPreconf,
  };
}
