import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AWS_PRICES } from "../../ops/cost/awsPrices.js";
import { benchFiguresOf } from "../../ops/cost/benchFigures.js";
import {
  CHAIN_RATES,
  COST_NETWORKS,
  monitoringInventory,
  STACK_SETTINGS,
} from "../../ops/cost/costInputs.js";
import { type MonthlyCost, monthlyCost } from "../../ops/cost/monthlyCost.js";
import {
  choiceOption,
  EXIT,
  emit,
  numberOption,
  parseCommand,
  printUsage,
  stringOption,
  table,
} from "../cliSupport.js";
import type { Command } from "./command.js";

/** The stages lib/config/stageConfig.ts defines (STAGE_NAMES; not imported: it pulls in aws-cdk-lib). */
export const COST_STAGES = ["dev", "staging", "prod"] as const;

const USAGE = `Usage: tidemark cost --network mainnet|hoodi [--stage dev|staging|prod] [options]

What each stage costs per month following the chain's head: the chain's block and event rates × the
requests per event that \`npm run bench\` measured (bench/results.json) × published AWS prices
(us-east-1, dated in the output). Lists each line item and the total; says what it leaves out.

Options
  --network <name>                   mainnet or hoodi (required)
  --stage <name>                     one stage (default: dev, staging and prod, and their sum)
  --results <file>                   bench results (default bench/results.json)
  --cdk-out <dir>                    \`npm run synth\` output, to count alarms and dashboards (default cdk.out)
  --l2-block-seconds <s>             override the L2 block time (default ${CHAIN_RATES.mainnet.l2BlockSeconds})
  --inbox-events-per-l1-block <n>    override the inbox logs per L1 block (default ${CHAIN_RATES.mainnet.inboxEventsPerL1Block})
  --json                             print the result as JSON
  -h, --help                         this text`;

const usd = (n: number) => `$${n.toFixed(2)}`;

function render(cost: MonthlyCost): string {
  const rows = cost.lines.map((l) => [
    l.service,
    l.item,
    Math.round(l.quantity).toLocaleString("en-US"),
    l.unitPrice,
    usd(l.usd),
  ]);
  return [
    `stage ${cost.stage} on ${cost.network}: ${Math.round(cost.eventsPerMonth).toLocaleString("en-US")} events a month`,
    table([
      ["service", "item", "quantity/month", "unit price", "cost"],
      ...rows,
      ["total", "", "", "", usd(cost.totalUsd)],
    ]),
  ].join("\n");
}

export const costCommand: Command = {
  name: "cost",
  summary: "what each stage costs per month at mainnet or Hoodi rates (bench counts × AWS prices)",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      {
        network: { type: "string" },
        stage: { type: "string" },
        results: { type: "string" },
        "cdk-out": { type: "string" },
        "l2-block-seconds": { type: "string" },
        "inbox-events-per-l1-block": { type: "string" },
        json: { type: "boolean" },
      },
      0,
      { target: false },
    );
    if (parsed.values.help) return printUsage(io, USAGE);
    const network = choiceOption(
      parsed.values,
      "network",
      COST_NETWORKS,
      true,
    ) as (typeof COST_NETWORKS)[number];
    const stage = choiceOption(parsed.values, "stage", COST_STAGES);
    const l2BlockSeconds = numberOption(parsed.values, "l2-block-seconds", 0.1, 3600);
    const inboxEvents = numberOption(parsed.values, "inbox-events-per-l1-block", 0, 1000);
    const chain = {
      ...CHAIN_RATES[network],
      ...(l2BlockSeconds === undefined
        ? {}
        : { l2BlockSeconds, source: "L2 block time from --l2-block-seconds" }),
      ...(inboxEvents === undefined ? {} : { inboxEventsPerL1Block: inboxEvents }),
    };
    const file = resolve(io.cwd, stringOption(parsed.values, "results") ?? "bench/results.json");
    const bench = benchFiguresOf(JSON.parse(await readFile(file, "utf8")), file);
    const cdkOut = resolve(io.cwd, stringOption(parsed.values, "cdk-out") ?? "cdk.out");
    const stages = stage === undefined ? COST_STAGES : [stage];
    const costs: MonthlyCost[] = [];
    for (const s of stages) {
      const monitoring = await monitoringInventory(cdkOut, s);
      costs.push(monthlyCost({ stage: s, chain, bench, stack: STACK_SETTINGS, monitoring }));
    }
    const totalUsd = costs.reduce((sum, c) => sum + c.totalUsd, 0);
    const [first] = costs as [MonthlyCost];
    const priced = [...new Set(first.lines.map((l) => l.price))].map((p) => AWS_PRICES[p]);
    const human = [
      `Monthly cost at ${network} rates, ${first.region} prices as of ${first.pricesReadOn} (bench of ${first.benchGeneratedAt})`,
      "",
      ...costs.flatMap((c) => [render(c), ""]),
      ...(costs.length > 1 ? [`all stages: ${usd(totalUsd)} a month`, ""] : []),
      "Assumptions:",
      ...first.assumptions.map((a) => `  - ${a}`),
      "Not counted:",
      ...first.notCounted.map((n) => `  - ${n}`),
      `Prices (${first.region}, read ${first.pricesReadOn}):`,
      ...priced.map((p) => `  - ${p.unit}: ${p.source} (checked against ${p.checkedAgainst})`),
    ].join("\n");
    emit(io, parsed.values.json === true, { network, stages: costs, totalUsd }, human);
    return EXIT.ok;
  },
};
