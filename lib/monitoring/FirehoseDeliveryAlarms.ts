import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { ERROR_OBJECTS_METRICS_FILTER } from "../stateful/SinkBucket.js";
import { notifyingAlarm } from "./notifyingAlarm.js";

export interface FirehoseDeliveryAlarmsProps {
  /** The stream the processor writes to. */
  readonly deliveryStreamName: string;
  /** The sink bucket, whose request-metrics filter on `firehose-errors/` counts error objects (SinkBucket). */
  readonly bucket: s3.IBucket;
  readonly topic: sns.ITopic;
  /** Prefix of the alarm names (`<prefix>-firehose-delivery-failed`, ...). */
  readonly namePrefix: string;
  /** @default 5 minutes */
  readonly period?: Duration;
}

/**
 * The processor's write completes when Firehose accepts the rows, not when Iceberg holds them, so
 * a delivery that fails later is seen here: rows Firehose could not commit
 * (`DeliveryToIceberg.FailedRowCount`, AWS/Firehose) and objects written under the error prefix
 * (the bucket's `PutRequests` on that filter, AWS/S3). Either means rows to re-drive with
 * `tidemark sink replay` (docs/DEPLOYMENT.md, "Firehose delivery failure").
 */
export class FirehoseDeliveryAlarms extends Construct {
  readonly failedRows: cloudwatch.Alarm;
  readonly errorObjects: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FirehoseDeliveryAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const alarm = (key: string, metric: cloudwatch.Metric, description: string) =>
      notifyingAlarm(this, key, props.topic, {
        metric,
        alarmName: `${props.namePrefix}-${key}`,
        alarmDescription: description,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.failedRows = alarm(
      "firehose-delivery-failed",
      new cloudwatch.Metric({
        namespace: "AWS/Firehose",
        metricName: "DeliveryToIceberg.FailedRowCount",
        dimensionsMap: { DeliveryStreamName: props.deliveryStreamName },
        statistic: "Sum",
        period,
      }),
      "Firehose could not commit rows to the Iceberg tables: they are under firehose-errors/. Fix the cause, then `tidemark sink replay`.",
    );
    this.errorObjects = alarm(
      "firehose-error-objects",
      new cloudwatch.Metric({
        namespace: "AWS/S3",
        metricName: "PutRequests",
        dimensionsMap: { BucketName: props.bucket.bucketName, FilterId: ERROR_OBJECTS_METRICS_FILTER },
        statistic: "Sum",
        period,
      }),
      "Objects were written under firehose-errors/ in the sink bucket: rows not in the tables. `tidemark sink replay --dry-run` lists them.",
    );
  }
}
