import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { IngestorMetric } from "../../lambdas/shared/metricNames.js";
import { customMetric } from "./customMetric.js";
import { notifyingAlarm, threeOfFiveAlarms } from "./notifyingAlarm.js";

export interface OperationsAlarmsProps {
  /** The ingestor's POWERTOOLS_SERVICE_NAME (its metrics' `service` dimension). */
  readonly ingestorService: string;
  /** The stage the functions emit as the `stage` dimension. @default - none */
  readonly stage?: string;
  /** The chain-metrics function (oldest unproven batch and unfinalized proposal ages, every minute). */
  readonly chainMetricsFunction: lambda.IFunction;
  /** Where its schedule puts invocations it could not deliver. */
  readonly chainMetricsScheduleDeadLetterQueue: sqs.IQueue;
  readonly topic: sns.ITopic;
  /** Prefix of the alarm names (`<prefix>-inbox-logs-skipped`, ...). */
  readonly namePrefix: string;
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * What can go wrong quietly, each with an alarm and a graph: inbox logs the ingestor skipped (an event
 * the protocol emitted that is not in the sink), polls that keep failing (the cursor stands still), and
 * the chain-metrics function failing or losing invocations to its schedule's DLQ (the "batch not proven"
 * alarm then reads nothing). Notify only: none of these is fixed by rolling a deployment back.
 */
export class OperationsAlarms extends Construct {
  readonly inboxLogsSkipped: cloudwatch.Alarm;
  readonly pollFailures: Readonly<Record<"l1" | "l2", cloudwatch.Alarm>>;
  readonly chainMetricsErrors: cloudwatch.Alarm;
  readonly chainMetricsDeadLetters: cloudwatch.Alarm;
  /** The dashboard row graphing what the alarms read. */
  readonly widgets: readonly cloudwatch.IWidget[];

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const ingestor = (metricName: string, chain: "l1" | "l2", period = MINUTE) =>
      customMetric({
        service: props.ingestorService,
        stage: props.stage,
        metricName,
        statistic: "Sum",
        dimensions: { chain },
        period,
        label: `${metricName} ${chain}`,
      });
    const once = (key: string, metric: cloudwatch.IMetric, description: string) =>
      notifyingAlarm(this, key, props.topic, {
        alarmName: `${props.namePrefix}-${key}`,
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const threeOfFive = threeOfFiveAlarms(this, props.topic, props.namePrefix);

    // Inbox logs are read on L1 only (logSources.ts emits the metric with chain=l1).
    const skipped = ingestor(IngestorMetric.InboxLogsSkipped, "l1", FIVE_MINUTES);
    this.inboxLogsSkipped = once(
      "inbox-logs-skipped",
      skipped,
      "The ingestor skipped inbox logs it could not decode: those events are not in the sink. Read the ingestor's log lines with the reason, fix the decoder or the network preset, then `tidemark repair` the range.",
    );
    const polls = {
      l1: ingestor(IngestorMetric.PollFailures, "l1"),
      l2: ingestor(IngestorMetric.PollFailures, "l2"),
    };
    const pollAlarm = (chain: "l1" | "l2") =>
      threeOfFive(
        `PollFailures${chain.toUpperCase()}`,
        polls[chain],
        1,
        `${chain.toUpperCase()} polls failed in 3 of the last 5 minutes (RPC, DynamoDB or SQS after retries): the ${chain.toUpperCase()} cursor is not moving. See RpcErrors and the ingestor's error logs.`,
      );
    this.pollFailures = { l1: pollAlarm("l1"), l2: pollAlarm("l2") };
    const errors = props.chainMetricsFunction.metricErrors({
      statistic: "Sum",
      period: MINUTE,
      label: "chain-metrics errors",
    });
    this.chainMetricsErrors = threeOfFive(
      "ChainMetricsErrors",
      errors,
      1,
      "The chain-metrics function (oldest unproven batch / unfinalized proposal age) failed in 3 of the last 5 minutes: the batch-not-proven alarm reads no data meanwhile. See its logs.",
    );
    const deadLetters = props.chainMetricsScheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: FIVE_MINUTES,
      label: "chain-metrics schedule DLQ",
    });
    this.chainMetricsDeadLetters = once(
      "chain-metrics-dlq-not-empty",
      deadLetters,
      "The scheduler could not invoke the chain-metrics function (throttled, missing alias, permissions): its invocations are in the schedule's DLQ. Fix the cause; the messages only record the misses and can be purged.",
    );
    this.widgets = [
      new cloudwatch.GraphWidget({
        title: "Inbox logs skipped, poll failures",
        left: [skipped],
        right: [polls.l1, polls.l2],
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: "Chain-metrics function errors, schedule DLQ",
        left: [errors],
        right: [deadLetters],
        width: 12,
        height: 6,
      }),
    ];
  }

  /** Every alarm of this construct, for the dashboard's alarm status. */
  get all(): cloudwatch.Alarm[] {
    return [
      this.inboxLogsSkipped,
      this.pollFailures.l1,
      this.pollFailures.l2,
      this.chainMetricsErrors,
      this.chainMetricsDeadLetters,
    ];
  }
}
