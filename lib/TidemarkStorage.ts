import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { FirehoseIcebergSink } from "./sink/FirehoseIcebergSink.js";
import { EventQueue } from "./stateful/EventQueue.js";
import { PipelineTables } from "./stateful/PipelineTables.js";
import { SinkBucket } from "./stateful/SinkBucket.js";

export interface TidemarkStorageProps {
  /**
   * Timeout of the processor that will consume the queue; the visibility timeout is derived
   * from it and must stay ≥ 6× it.
   */
  readonly processorTimeout: Duration;
  /** @default 6 × processorTimeout */
  readonly visibilityTimeout?: Duration;
  /** @default 3 */
  readonly maxReceiveCount?: number;
  /** Applies to the queues, tables and buckets. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection. @default true */
  readonly deletionProtection?: boolean;
  /** Prefix of the queue names. @default "tidemark" (queues `tidemark-events.fifo`, `tidemark-events-dlq.fifo`) */
  readonly namePrefix?: string;
  /**
   * Create the Firehose → Iceberg sink (stream `<namePrefix>-sink`, Glue database `<namePrefix>` with
   * `-` as `_`, Athena workgroup) over the sink bucket. Turn off when the processor writes to a stream
   * managed elsewhere (Tidemark's `firehoseStreamName`).
   * @default true
   */
  readonly firehoseSink?: boolean;
}

/** The pipeline's stateful resources: what must survive a redeploy. */
export interface TidemarkTables {
  readonly state: dynamodb.ITable;
  readonly idempotency: dynamodb.ITable;
}

/**
 * Everything of Tidemark that holds data: the FIFO queue and its DLQ, the state and
 * idempotency tables, the sink's bucket and its Iceberg tables (with the Firehose stream feeding them). Put it in its own (protected) stack and hand it
 * to `Tidemark` through `storage`.
 */
export class TidemarkStorage extends Construct {
  readonly eventQueue: EventQueue;
  readonly pipelineTables: PipelineTables;
  readonly sinkBucket: SinkBucket;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly tables: TidemarkTables;
  readonly bucket: s3.Bucket;
  /** The AWS-native columnar sink, unless `firehoseSink` was false. */
  readonly firehoseSink?: FirehoseIcebergSink;

  constructor(scope: Construct, id: string, props: TidemarkStorageProps) {
    super(scope, id);
    const prefix = props.namePrefix ?? "tidemark";
    this.eventQueue = new EventQueue(this, "EventQueue", {
      processorTimeout: props.processorTimeout,
      visibilityTimeout: props.visibilityTimeout,
      maxReceiveCount: props.maxReceiveCount,
      queueName: `${prefix}-events.fifo`,
      deadLetterQueueName: `${prefix}-events-dlq.fifo`,
      removalPolicy: props.removalPolicy,
    });
    this.pipelineTables = new PipelineTables(this, "Tables", {
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
    });
    // The queue admits only the ingestor and this role; a backfill run under it also needs its cursor.
    this.pipelineTables.grantOperator(this.eventQueue.redriveRole);
    this.sinkBucket = new SinkBucket(this, "Sink", { removalPolicy: props.removalPolicy });
    this.queue = this.eventQueue.queue;
    this.deadLetterQueue = this.eventQueue.deadLetterQueue;
    this.tables = {
      state: this.pipelineTables.stateTable,
      idempotency: this.pipelineTables.idempotencyTable,
    };
    this.bucket = this.sinkBucket.bucket;
    if (props.firehoseSink !== false) {
      // Beside its bucket: the Glue tables are data too, and the Firehose role's grants stay in one stack.
      this.firehoseSink = new FirehoseIcebergSink(this, "FirehoseSink", {
        bucket: this.bucket,
        deliveryStreamName: `${prefix}-sink`,
        databaseName: prefix.toLowerCase().replace(/-/g, "_"),
        removalPolicy: props.removalPolicy,
      });
    }
  }
}
