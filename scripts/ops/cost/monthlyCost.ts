/**
 * What one Tidemark stage costs per month following a chain's head: the chain's rates × the bench's
 * requests per event × the published prices of awsPrices.ts. Pure: every input is an argument.
 */
import { AWS_PRICES, PRICE_REGION, PRICES_READ_ON, type PriceName } from "./awsPrices.js";
import type { BenchFigures } from "./benchFigures.js";

/** A 30-day month. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

export interface ChainRates {
  readonly network: string;
  readonly l1BlockSeconds: number;
  readonly l2BlockSeconds: number;
  /** Inbox logs (proposals, proofs, verifications, forced inclusions) per L1 block. */
  readonly inboxEventsPerL1Block: number;
  /** Where the rates come from. */
  readonly source: string;
}

/** The deployed stack's settings that decide invocations and GB-seconds. */
export interface StackSettings {
  readonly scheduleSeconds: number;
  /** The ingestor polls until this much of its timeout is used, every scheduled run. */
  readonly ingestorBusySeconds: number;
  readonly ingestorMemoryMb: number;
  readonly processorMemoryMb: number;
  readonly architecture: "arm64" | "x86_64";
}

/** What the synthesized stage holds that CloudWatch bills per month; undefined when not counted. */
export interface MonitoringInventory {
  readonly alarms?: number;
  readonly dashboards?: number;
  /** Custom metric names the functions emit (each one dimension set at least). */
  readonly customMetrics: number;
}

export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly price: PriceName;
  readonly unitPrice: string;
  readonly usd: number;
}

export interface MonthlyCost {
  readonly stage: string;
  readonly network: string;
  readonly region: string;
  readonly pricesReadOn: string;
  readonly benchGeneratedAt: string;
  readonly eventsPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  /** What the figure leaves out, and why. */
  readonly notCounted: readonly string[];
  readonly assumptions: readonly string[];
}

export interface MonthlyCostInput {
  readonly stage: string;
  readonly chain: ChainRates;
  readonly bench: BenchFigures;
  readonly stack: StackSettings;
  readonly monitoring: MonitoringInventory;
}

const line = (service: string, item: string, quantity: number, price: PriceName): CostLine => {
  const p = AWS_PRICES[price];
  return {
    service,
    item,
    quantity,
    price,
    unitPrice: `$${p.usd} per ${p.per === 1 ? "" : `${p.per.toLocaleString("en-US")} `}${p.unit}`,
    usd: (quantity / p.per) * p.usd,
  };
};

/** The month's line items and total for one stage. */
export function monthlyCost(input: MonthlyCostInput): MonthlyCost {
  const { chain, bench, stack, monitoring } = input;
  const l1Blocks = SECONDS_PER_MONTH / chain.l1BlockSeconds;
  const l2Blocks = SECONDS_PER_MONTH / chain.l2BlockSeconds;
  // Every L1 and L2 block's header is an event, plus the inbox logs.
  const events = l1Blocks + l2Blocks + l1Blocks * chain.inboxEventsPerL1Block;
  const messages = events * bench.messagesPerEvent;
  // At the head an event arrives every second or two, so each processor invocation takes one message.
  const processorInvocations = messages;
  const ingestorRuns = SECONDS_PER_MONTH / stack.scheduleSeconds;
  const gbSecond: PriceName = stack.architecture === "arm64" ? "lambdaGbSecondArm" : "lambdaGbSecondX86";
  const lines: CostLine[] = [
    // Each message is sent, received and deleted once (no batching credit: the bench counts messages, not calls).
    line("SQS", "FIFO send + receive + delete, 3 per message", 3 * messages, "sqsFifoRequest"),
    line(
      "DynamoDB",
      "write units (processor, per record)",
      messages * bench.writeUnitsPerRecord,
      "dynamoDbWriteUnit",
    ),
    line(
      "DynamoDB",
      "read units (processor, per record)",
      messages * bench.readUnitsPerRecord,
      "dynamoDbReadUnit",
    ),
    line("Lambda", "ingestor invocations (one per schedule period)", ingestorRuns, "lambdaRequest"),
    line(
      "Lambda",
      "ingestor GB-seconds (it polls through its budget)",
      ingestorRuns * stack.ingestorBusySeconds * (stack.ingestorMemoryMb / 1024),
      gbSecond,
    ),
    line("Lambda", "processor invocations (one message each)", processorInvocations, "lambdaRequest"),
    line(
      "Lambda",
      "processor GB-seconds (bench median per invocation)",
      processorInvocations * (bench.processorInvocationMs / 1000) * (stack.processorMemoryMb / 1024),
      gbSecond,
    ),
    line(
      "CloudWatch",
      "custom metrics (one dimension set each, at least)",
      monitoring.customMetrics,
      "cloudWatchCustomMetric",
    ),
  ];
  const notCounted = [
    "ingestor DynamoDB writes (cursor, lease, published hashes): the bench does not measure them",
    "the chain-metrics function, the serving and ingest APIs: the bench does not measure them at chain rates",
    "Firehose, S3 storage, Glue and Athena queries: the bench records no sink bytes; Athena bills per query",
    "CloudWatch Logs, X-Ray traces, EventBridge Scheduler, KMS, Secrets Manager, data transfer",
    "the RPC provider",
    "AWS free tiers",
  ];
  if (monitoring.alarms === undefined)
    notCounted.push("CloudWatch alarms and dashboards: no synthesized template (run `npm run synth` first)");
  else {
    lines.push(line("CloudWatch", "alarms (synthesized template)", monitoring.alarms, "cloudWatchAlarm"));
    lines.push(
      line(
        "CloudWatch",
        "dashboards (synthesized template)",
        monitoring.dashboards ?? 0,
        "cloudWatchDashboard",
      ),
    );
  }
  return {
    stage: input.stage,
    network: chain.network,
    region: PRICE_REGION,
    pricesReadOn: PRICES_READ_ON,
    benchGeneratedAt: bench.generatedAt,
    eventsPerMonth: events,
    lines,
    totalUsd: lines.reduce((sum, l) => sum + l.usd, 0),
    notCounted,
    assumptions: [
      `a 30-day month; ${chain.network}: L1 block ${chain.l1BlockSeconds} s, L2 block ${chain.l2BlockSeconds} s, ${chain.inboxEventsPerL1Block} inbox logs per L1 block (${chain.source})`,
      `${bench.messagesPerEvent.toFixed(2)} SQS messages per event, each under 64 KB (bench tidemark-realtime cell)`,
      `processor: ${bench.processorInvocationMs.toFixed(1)} ms per invocation (the bench's 10-record batch median, an upper bound for one), ${bench.writeUnitsPerRecord} WRU + ${bench.readUnitsPerRecord} RRU per record`,
      `ingestor: every ${stack.scheduleSeconds} s, busy ${stack.ingestorBusySeconds} s, ${stack.ingestorMemoryMb} MB; processor ${stack.processorMemoryMb} MB; ${stack.architecture}`,
    ],
  };
}
