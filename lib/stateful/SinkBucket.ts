import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { FIREHOSE_ERROR_PREFIX } from "../../lambdas/sink/firehoseErrorRecords.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";

export interface SinkBucketProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Days to keep server access logs. @default 90 */
  readonly accessLogRetentionDays?: number;
}

/** The request-metrics filter on the Firehose error prefix: its PutRequests count new error objects. */
export const ERROR_OBJECTS_METRICS_FILTER = "firehose-errors";

export const SINK_BUCKET_DEFAULTS = {
  removalPolicy: RemovalPolicy.RETAIN,
  accessLogRetentionDays: 90,
} as const;

/**
 * Storage of the columnar sink: the S3 bucket that Data Firehose writes the Iceberg tables
 * into, plus the bucket that receives its server access logs.
 */
export class SinkBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SinkBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? SINK_BUCKET_DEFAULTS.removalPolicy;
    const secure = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    };
    // Server access logs can only be delivered to a bucket with SSE-S3 encryption.
    this.accessLogBucket = new s3.Bucket(this, "AccessLogs", {
      ...secure,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(
            props.accessLogRetentionDays ?? SINK_BUCKET_DEFAULTS.accessLogRetentionDays,
          ),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
    this.bucket = new s3.Bucket(this, "Bucket", {
      ...secure,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: "sink/",
      // Request metrics on the error prefix: an object Firehose writes there raises an alarm (FirehoseDeliveryAlarms).
      metrics: [{ id: ERROR_OBJECTS_METRICS_FILTER, prefix: FIREHOSE_ERROR_PREFIX }],
      // Iceberg rewrites data files on compaction; old versions only cost money after a while.
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30) },
        // Athena query results (the FirehoseIcebergSink workgroup) are scratch: re-run the query instead.
        { prefix: "athena-results/", expiration: Duration.days(30) },
      ],
    });
    for (const bucket of [this.accessLogBucket, this.bucket]) {
      acknowledgeGuardRule(
        bucket,
        "s3_bucket_default_encryption_kms_check",
        "SSE-S3 (AES-256): access-log delivery only supports SSE-S3, and the sink bucket stays readable by Firehose, Glue and Athena without key grants.",
      );
      acknowledgeGuardRule(
        bucket,
        "s3_event_notifications_enabled_check",
        "Nothing consumes object events: Iceberg commits are tracked by its catalog, not by S3 notifications.",
      );
      acknowledgeGuardRule(
        bucket,
        "s3_bucket_object_lock_enabled_check",
        "Iceberg compaction and snapshot expiry delete data files, and access logs expire by lifecycle; object lock would block both.",
      );
    }
    acknowledgeGuardRule(
      this.accessLogBucket,
      "s3_bucket_logging_enabled_check",
      "This is the access-log target itself; logging it would log its own log deliveries.",
    );
  }
}
