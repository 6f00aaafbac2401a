import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { PipelineMetrics } from "./metrics.js";

/** When each alarm goes off. Stages override some of these; see lib/config/stageConfig.ts. */
export interface AlarmThresholds {
  /** Oldest message on the queue older than this. */
  readonly oldestMessageAge: Duration;
  /** Head minus cursor above this many blocks for 5 minutes, per chain. */
  readonly ingestLagBlocks: { readonly l1: number; readonly l2: number };
  /** No L2 block ingested for this long (missing data counts: a silent ingestor is the problem). */
  readonly noNewL2Block: Duration;
  /** No batch proposal processed for this long. */
  readonly noBatchProposed: Duration;
  /** A proposed batch still without proof after this long. */
  readonly unprovenBatchAge: Duration;
  /** Processor error rate, percent of invocations, warning level (5 of 5 minutes). */
  readonly processorErrorRateWarningPercent: number;
  /** Processor error rate, percent of invocations, critical level (2 of 3 minutes); rolls back deployments. */
  readonly processorErrorRateCriticalPercent: number;
  /** Processor p95 duration above this for 3 minutes. */
  readonly processorDurationP95: Duration;
  /** Ingestor errors per minute at or above this in 2 of 3 minutes. */
  readonly ingestorErrorsPerMinute: number;
  /** DynamoDB read + write throttle events per table in 5 minutes. */
  readonly tableThrottlesPer5Minutes: number;
  /** Records the processor dead-letters in 5 minutes before a deployment is rolled back (poison input happens; a burst is a bug). */
  readonly processorDeadLettersPer5Minutes: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  oldestMessageAge: Duration.minutes(5),
  ingestLagBlocks: { l1: 10, l2: 150 },
  noNewL2Block: Duration.minutes(10),
  noBatchProposed: Duration.minutes(10),
  unprovenBatchAge: Duration.hours(3),
  processorErrorRateWarningPercent: 1,
  processorErrorRateCriticalPercent: 5,
  processorDurationP95: Duration.seconds(20),
  ingestorErrorsPerMinute: 1,
  tableThrottlesPer5Minutes: 5,
  processorDeadLettersPer5Minutes: 5,
};

/** Every alarm Tidemark creates, by role. The README's alarm runbook follows these keys. */
export interface PipelineAlarmSet {
  readonly dlqNotEmpty: cloudwatch.Alarm;
  readonly scheduleDlqNotEmpty: cloudwatch.Alarm;
  readonly oldestMessageAge: cloudwatch.Alarm;
  readonly ingestLagL1: cloudwatch.Alarm;
  readonly ingestLagL2: cloudwatch.Alarm;
  readonly ingestorRejectedInput: cloudwatch.Alarm;
  readonly noNewL2Block: cloudwatch.Alarm;
  readonly noBatchProposed: cloudwatch.Alarm;
  readonly batchNotProven: cloudwatch.Alarm;
  readonly processorErrorRateWarning: cloudwatch.Alarm;
  readonly processorErrorRateCritical: cloudwatch.Alarm;
  readonly processorDurationP95: cloudwatch.Alarm;
  readonly processorThrottles: cloudwatch.Alarm;
  readonly processorDeadLettering: cloudwatch.Alarm;
  readonly ingestorErrors: cloudwatch.Alarm;
  readonly stateTableThrottles: cloudwatch.Alarm;
  readonly idempotencyTableThrottles: cloudwatch.Alarm;
}

export interface PipelineAlarmsProps {
  readonly metrics: PipelineMetrics;
  readonly thresholds: AlarmThresholds;
  readonly topic: sns.ITopic;
  /** Prefix of the alarm names (`<prefix>-dlq-not-empty`, ...). */
  readonly namePrefix: string;
}

/**
 * The pipeline's alarms, all notifying one topic (on ALARM and on OK). `forIngestorDeployment`
 * and `forProcessorDeployment` are the alarms that stop and roll back a deployment of that function.
 */
export class PipelineAlarms extends Construct {
  readonly alarms: PipelineAlarmSet;
  readonly forIngestorDeployment: cloudwatch.IAlarm[];
  readonly forProcessorDeployment: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const { metrics: m, thresholds: t } = props;
    const action = new actions.SnsAction(props.topic);
    const alarm = (
      key: string,
      metric: cloudwatch.IMetric,
      options: {
        threshold: number;
        description: string;
        comparison?: cloudwatch.ComparisonOperator;
        evaluationPeriods?: number;
        datapointsToAlarm?: number;
        missing?: cloudwatch.TreatMissingData;
      },
    ): cloudwatch.Alarm => {
      const evaluationPeriods = options.evaluationPeriods ?? 1;
      const created = new cloudwatch.Alarm(this, key, {
        alarmName: `${props.namePrefix}-${key}`,
        alarmDescription: options.description,
        metric,
        threshold: options.threshold,
        comparisonOperator:
          options.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: options.datapointsToAlarm ?? evaluationPeriods,
        treatMissingData: options.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    const minutes = (d: Duration): number => Math.max(1, Math.round(d.toMinutes({ integral: false })));
    const lagMinutes = 5;

    this.alarms = {
      dlqNotEmpty: alarm("dlq-not-empty", m.deadLetters(), {
        threshold: 1,
        description:
          "A message reached the dead-letter queue: a poison message or a failure that outlived its retries.",
      }),
      scheduleDlqNotEmpty: alarm("schedule-dlq-not-empty", m.scheduleDeadLetters(), {
        threshold: 1,
        description:
          "EventBridge Scheduler could not start the ingestor (permissions, deleted alias, Lambda throttling).",
      }),
      oldestMessageAge: alarm("oldest-message-age", m.oldestMessageAge(), {
        threshold: t.oldestMessageAge.toSeconds(),
        evaluationPeriods: 3,
        description: `The oldest queued message is older than ${t.oldestMessageAge.toSeconds()}s: processing is stuck or too slow.`,
      }),
      ingestLagL1: alarm("ingest-lag-l1", m.ingestLagBlocks("l1"), {
        threshold: t.ingestLagBlocks.l1,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: lagMinutes,
        description: `The ingestor is more than ${t.ingestLagBlocks.l1} blocks behind the L1 head for ${lagMinutes} minutes.`,
      }),
      ingestLagL2: alarm("ingest-lag-l2", m.ingestLagBlocks("l2"), {
        threshold: t.ingestLagBlocks.l2,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: lagMinutes,
        description: `The ingestor is more than ${t.ingestLagBlocks.l2} blocks behind the L2 head for ${lagMinutes} minutes.`,
      }),
      noNewL2Block: alarm("no-new-l2-block", m.blocksIngested("l2"), {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: minutes(t.noNewL2Block),
        // No datapoints means the ingestor is not running at all: that is the failure to catch.
        missing: cloudwatch.TreatMissingData.BREACHING,
        description: `No L2 block ingested for ${minutes(t.noNewL2Block)} minutes: the ingestor, its RPC or the L2 is down.`,
      }),
      noBatchProposed: alarm("no-batch-proposed", m.batchesProposed(), {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: minutes(t.noBatchProposed),
        missing: cloudwatch.TreatMissingData.BREACHING,
        description: `No batch proposal processed for ${minutes(t.noBatchProposed)} minutes: proposers stopped, or L1 ingestion did.`,
      }),
      batchNotProven: alarm("batch-not-proven", m.oldestUnprovenBatchAge(), {
        threshold: t.unprovenBatchAge.toSeconds(),
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        description: `A proposed batch has had no proof for more than ${t.unprovenBatchAge.toHours({ integral: false })} hours.`,
      }),
      processorErrorRateWarning: alarm("processor-error-rate-warning", m.errorRatePercent("processor"), {
        threshold: t.processorErrorRateWarningPercent,
        evaluationPeriods: 5,
        description: `Warning: processor invocations failing at ≥ ${t.processorErrorRateWarningPercent}% for 5 minutes.`,
      }),
      processorErrorRateCritical: alarm("processor-error-rate-critical", m.errorRatePercent("processor"), {
        threshold: t.processorErrorRateCriticalPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `Critical: processor invocations failing at ≥ ${t.processorErrorRateCriticalPercent}% in 2 of 3 minutes. Rolls back a processor deployment.`,
      }),
      processorDurationP95: alarm("processor-duration-p95", m.durationP95("processor"), {
        threshold: t.processorDurationP95.toMilliseconds(),
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        description: `Processor p95 duration above ${t.processorDurationP95.toSeconds()}s for 3 minutes: batches near the timeout.`,
      }),
      processorThrottles: alarm("processor-throttles", m.throttles("processor", Duration.minutes(5)), {
        threshold: 1,
        description: "The processor was throttled: account concurrency is exhausted.",
      }),
      processorDeadLettering: alarm("processor-dead-lettering", m.recordsDeadLettered(Duration.minutes(5)), {
        threshold: t.processorDeadLettersPer5Minutes,
        description: `The processor dead-lettered ≥ ${t.processorDeadLettersPer5Minutes} records in 5 minutes: a burst of poison input, or a version rejecting valid events. Rolls back a processor deployment.`,
      }),
      ingestorErrors: alarm("ingestor-errors", m.errors("ingestor"), {
        threshold: t.ingestorErrorsPerMinute,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: "The ingestor failed in 2 of the last 3 minutes.",
      }),
      ingestorRejectedInput: alarm("ingestor-rejected-input", m.recordsRejected(), {
        threshold: 1,
        description:
          "The ingestor dead-lettered input it cannot publish (an undecodable inbox log, a block's logs over the response limit, a header with an impossible timestamp); the DLQ message says which and why.",
      }),
      stateTableThrottles: alarm("state-table-throttles", m.tableThrottles("state"), {
        threshold: t.tableThrottlesPer5Minutes,
        description: "DynamoDB throttled requests on the state table.",
      }),
      idempotencyTableThrottles: alarm("idempotency-table-throttles", m.tableThrottles("idempotency"), {
        threshold: t.tableThrottlesPer5Minutes,
        description: "DynamoDB throttled requests on the idempotency table.",
      }),
    };
    const a = this.alarms;
    // Only alarms on what the running version does gate deployments. State alarms (DLQ not empty,
    // backlog age, lag, silent chain) can already be in ALARM when a fix is deployed, and CodeDeploy
    // stops any deployment that starts with an alarm raised: they would block the very fix they call for.
    this.forIngestorDeployment = [a.ingestorErrors];
    this.forProcessorDeployment = [
      a.processorErrorRateCritical,
      a.processorDurationP95,
      a.processorThrottles,
      a.processorDeadLettering,
    ];
  }
}
