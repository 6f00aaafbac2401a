import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import {
  ChainMetric,
  IngestorMetric,
  METRIC_NAMESPACE,
  ProcessorMetric,
} from "../../lambdas/shared/metricNames.js";

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
}

const MINUTE = Duration.minutes(1);

/**
 * Every metric Tidemark alarms on or graphs, defined once. Custom metrics carry exactly the
 * dimensions Powertools emits them with (`service`, plus `chain` where the name says so);
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
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { service, ...dimensions },
      statistic,
      period: MINUTE,
      label,
    });
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
        l1: this.ingestorMetric(IngestorMetric.RecordsRejected, "Sum", "l1"),
        l2: this.ingestorMetric(IngestorMetric.RecordsRejected, "Sum", "l2"),
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
  freshness(): cloudwatch.Metric {
    return this.processorMetric(ProcessorMetric.FreshnessMs, "p90");
  }

  // Chain (emitted by the processor's lifecycle writes, once per batch)
  batchesProposed(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.BatchesProposed);
  }
  l2BlockInterval(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.L2BlockIntervalSeconds, "Average");
  }
  batchPostingInterval(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.BatchPostingIntervalSeconds, "Average");
  }
  batchProveTime(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.BatchProveTimeSeconds, "Average");
  }
  batchVerifyTime(): cloudwatch.Metric {
    return this.processorMetric(ChainMetric.BatchVerifyTimeSeconds, "Average");
  }
  /** A gauge, so the scheduled unproven-batch-age function emits it (an event-driven one stops when events do). */
  oldestUnprovenBatchAge(): cloudwatch.Metric {
    const name = ChainMetric.OldestUnprovenBatchAgeSeconds;
    return this.custom(this.props.unprovenBatchAgeService, name, "Maximum", {}, name);
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
