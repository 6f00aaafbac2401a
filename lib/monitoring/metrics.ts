import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import {
  ChainMetric,
  ChainMetricRetracted,
  IngestorMetric,
  type ItemChainMetric,
  ProcessorMetric,
} from "../../lambdas/shared/metricNames.js";
import { customMetric } from "./customMetric.js";

export type ChainName = "l1" | "l2";

export interface PipelineMetricsProps {
  /** POWERTOOLS_SERVICE_NAME of the ingestor: Powertools adds it as the `service` dimension. */
  readonly ingestorService: string;
  /** POWERTOOLS_SERVICE_NAME of the processor. */
  readonly processorService: string;
  /** POWERTOOLS_SERVICE_NAME of the scheduled unproven-batch-age function (OldestUnprovenBatchAgeSeconds). */
  readonly unprovenBatchAgeService: string;
  readonly ingestor: lambda.IFunction;
  readonly processor: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
  /** The stage the functions emit as the `stage` dimension (TIDEMARK_STAGE). @default - none */
  readonly stage?: string;
}

const MINUTE = Duration.minutes(1);

/**
 * Every metric Tidemark alarms on or graphs, defined once. Custom metrics carry exactly the
 * dimensions Powertools emits them with (`service`, `stage` when given, plus `chain` where the name says so);
 * a metric defined with another dimension set would never receive data.
 * Lambda metrics are read on the `live` alias, which is what the deployment shifts.
 */
export class PipelineMetrics {
  constructor(private readonly props: PipelineMetricsProps) {}

  private custom(
    service: string,
    metricName: string,
    statistic: string,
    dimensions: Record<string, string> = {},
    label?: string,
  ): cloudwatch.Metric {
    return customMetric({ service, metricName, statistic, dimensions, label, stage: this.props.stage });
  }

  private ingestorMetric(name: string, statistic = "Sum", chain?: ChainName): cloudwatch.Metric {
    const dims: Record<string, string> = chain ? { chain } : {};
    return this.custom(this.props.ingestorService, name, statistic, dims, chain ? `${name} ${chain}` : name);
  }

  private processorMetric(name: string, statistic = "Sum", period = MINUTE): cloudwatch.Metric {
    return this.custom(this.props.processorService, name, statistic, {}, name).with({ period });
  }

  // Ingestor
  blocksIngested(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.BlocksIngested, "Sum", chain);
  }
  ingestLagBlocks(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.IngestLagBlocks, "Maximum", chain);
  }
  reorgsDetected(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.ReorgsDetected, "Sum", chain);
  }
  reorgDepth(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.ReorgDepth, "Maximum", chain);
  }
  // The next four are recorded per chain (lambdas/ingestor: `{service, chain}`): read without `chain`
  // they would match no data point.
  inboxEventsPublished(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.InboxEventsPublished, "Sum", chain);
  }
  messagesPublished(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.MessagesPublished, "Sum", chain);
  }
  rpcErrors(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.RpcErrors, "Sum", chain);
  }
  leaseContention(chain: ChainName): cloudwatch.Metric {
    return this.ingestorMetric(IngestorMetric.LeaseContention, "Sum", chain);
  }
  /** Input the ingestor dead-lettered instead of publishing, both chains summed. */
  recordsRejected(): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: "FILL(l1, 0) + FILL(l2, 0)",
      usingMetrics: {
        // The expression's 5-minute period on its inputs too: CloudWatch would override theirs (and warn).
        l1: this.ingestorMetric(IngestorMetric.RecordsRejected, "Sum", "l1").with({
          period: Duration.minutes(5),
        }),
        l2: this.ingestorMetric(IngestorMetric.RecordsRejected, "Sum", "l2").with({
          period: Duration.minutes(5),
        }),
      },
      label: "Input rejected by the ingestor",
      period: Duration.minutes(5),
    });
  }

  // Processor
  recordsProcessed(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.RecordsProcessed);
  }
  duplicatesDropped(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.DuplicatesDropped);
  }
  recordsRetried(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.RecordsRetried);
  }
  recordsDeadLettered(period = MINUTE): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.RecordsDeadLettered, "Sum", period);
  }
  sinkErrors(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.SinkErrors);
  }
  /** DynamoDB or SQS throttling the processor saw (its own count; Lambda's throttles are `throttles`). */
  throttlesSeen(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.Throttles);
  }
  expiredClaimsRetaken(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.ExpiredClaimsRetaken);
  }
  freshness(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.FreshnessMs, "p90");
  }

  // Chain (emitted by the processor's lifecycle writes, once per batch; a reorg retracts what it changed)
  /** Proposals as emitted: the "no batch proposed" alarm's input (any proposal at all shows the chain moves). */
  batchesProposed(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.BatchesProposed);
  }
  /** Proposals net of those a reorg took off the chain: what the dashboard graphs. */
  batchesProposedNet(): cloudwatch.MathExpression {
    return this.netChainMetric(ChainMetric.BatchesProposed, "Sum");
  }
  l2BlockInterval(): cloudwatch.MathExpression {
    return this.netChainMetric(ChainMetric.L2BlockIntervalSeconds, "Average");
  }
  batchPostingInterval(): cloudwatch.MathExpression {
    return this.netChainMetric(ChainMetric.BatchPostingIntervalSeconds, "Average");
  }
  batchProveTime(): cloudwatch.MathExpression {
    return this.netChainMetric(ChainMetric.BatchProveTimeSeconds, "Average");
  }
  batchVerifyTime(): cloudwatch.MathExpression {
    return this.netChainMetric(ChainMetric.BatchVerifyTimeSeconds, "Average");
  }
  /**
   * A per-item chain metric as the canonical chain gives it: the processor emits a value a reorg changed
   * or removed again under ChainMetricRetracted, so the figure is the metric net of its retractions: the
   * sum less the retracted sum, the average that over the sample count less the retracted count. A
   * retraction counts in the period it is emitted (usually the same or the next minute).
   */
  private netChainMetric(name: ItemChainMetric, statistic: "Sum" | "Average"): cloudwatch.MathExpression {
    const retracted = ChainMetricRetracted[name];
    // Ids unique per metric: a graph may hold several of these expressions (prove and verify time).
    const id = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
    const [s, rs, n, rn] = [`${id}Sum`, `${id}RetractedSum`, `${id}Count`, `${id}RetractedCount`];
    const sums = {
      [s]: this.processorMetric(name, "Sum"),
      [rs]: this.processorMetric(retracted, "Sum"),
    };
    const net = `FILL(${s}, 0) - FILL(${rs}, 0)`;
    return new cloudwatch.MathExpression({
      expression: statistic === "Sum" ? net : `(${net}) / (FILL(${n}, 0) - FILL(${rn}, 0))`,
      usingMetrics:
        statistic === "Sum"
          ? sums
          : {
              ...sums,
              [n]: this.processorMetric(name, "SampleCount"),
              [rn]: this.processorMetric(retracted, "SampleCount"),
            },
      label: `${name} (net of reorg retractions)`,
      period: MINUTE,
    });
  }

  /** A gauge, so the scheduled unproven-batch-age function emits it (an event-driven one stops when events do). */
  oldestUnprovenBatchAge(): cloudwatch.Metric {
    const name = ChainMetric.OldestUnprovenBatchAgeSeconds;
    return this.custom(this.props.unprovenBatchAgeService, name, "Maximum", {}, name);
  }

  /** Shasta's gauge, from the same scheduled function: the oldest proposal without a Proved covering it. */
  oldestUnfinalizedProposalAge(): cloudwatch.Metric {
    const name = ChainMetric.OldestUnfinalizedProposalAgeSeconds;
    return this.custom(this.props.unprovenBatchAgeService, name, "Maximum", {}, name);
  }
  shastaProposalsProposed(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.ShastaProposalsProposed);
  }
  /** Proposals of either fork: Pacaya batches and Shasta proposals (a gap in one counts as 0). */
  proposalsEitherFork(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: "FILL(pacaya, 0) + FILL(shasta, 0)",
      usingMetrics: { pacaya: this.batchesProposed(), shasta: this.shastaProposalsProposed() },
      period: MINUTE,
      label: "Proposals (Pacaya batches + Shasta proposals)",
    });
  }
  /** The older of the oldest unproven Pacaya batch and the oldest unfinalized Shasta proposal. */
  oldestUnfinalizedEitherFork(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: "MAX([FILL(pacaya, 0), FILL(shasta, 0)])",
      usingMetrics: { pacaya: this.oldestUnprovenBatchAge(), shasta: this.oldestUnfinalizedProposalAge() },
      period: MINUTE,
      label: "Oldest unproven batch / unfinalized proposal (s)",
    });
  }

  // Queues
  deadLetters(): cloudwatch.Metric {
    return this.props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: MINUTE,
      label: "DLQ depth",
    });
  }
  scheduleDeadLetters(): cloudwatch.Metric {
    return this.props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: MINUTE,
      label: "Undelivered schedule ticks",
    });
  }
  queueDepth(): cloudwatch.Metric {
    return this.props.queue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: MINUTE,
      label: "Queue depth",
    });
  }
  oldestMessageAge(): cloudwatch.Metric {
    return this.props.queue.metricApproximateAgeOfOldestMessage({
      statistic: "Maximum",
      period: MINUTE,
      label: "Oldest message age (s)",
    });
  }

  // Lambda, on the live alias
  errors(fn: "ingestor" | "processor", period = MINUTE): cloudwatch.Metric {
    return this.props[fn].metricErrors({ statistic: "Sum", period, label: `${fn} errors` });
  }
  invocations(fn: "ingestor" | "processor", period = MINUTE): cloudwatch.Metric {
    return this.props[fn].metricInvocations({ statistic: "Sum", period, label: `${fn} invocations` });
  }
  throttles(fn: "ingestor" | "processor", period = MINUTE): cloudwatch.Metric {
    return this.props[fn].metricThrottles({ statistic: "Sum", period, label: `${fn} throttles` });
  }
  durationP95(fn: "ingestor" | "processor"): cloudwatch.Metric {
    return this.props[fn].metricDuration({ statistic: "p95", period: MINUTE, label: `${fn} duration p95` });
  }
  concurrency(fn: "ingestor" | "processor"): cloudwatch.Metric {
    return this.props[fn].metric("ConcurrentExecutions", {
      statistic: "Maximum",
      period: MINUTE,
      label: `${fn} concurrency`,
    });
  }
  /** Errors as a percentage of invocations; 0 when there were no invocations. */
  errorRatePercent(fn: "ingestor" | "processor"): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
      usingMetrics: { errors: this.errors(fn), invocations: this.invocations(fn) },
      period: MINUTE,
      label: `${fn} error rate (%)`,
    });
  }

  // DynamoDB
  /** Read and write throttle events of one table over `period`. */
  tableThrottles(name: string, period = Duration.minutes(5)): cloudwatch.MathExpression {
    const table = this.props.tables[name];
    if (!table) throw new Error(`no table named ${name}`);
    return new cloudwatch.MathExpression({
      expression: "FILL(reads, 0) + FILL(writes, 0)",
      usingMetrics: {
        reads: table.metric("ReadThrottleEvents", { statistic: "Sum", period }),
        writes: table.metric("WriteThrottleEvents", { statistic: "Sum", period }),
      },
      period,
      label: `${name} table throttles`,
    });
  }
}
