import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { type StageConfig, stageNamePrefix } from "../config/stageConfig.js";
import { TIDEMARK_DEFAULTS } from "../Tidemark.js";
import { TidemarkStorage } from "../TidemarkStorage.js";

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The data of one stage (queues, tables, sink bucket), apart so compute can be replaced freely. */
export class StatefulStack extends Stack {
  readonly storage: TidemarkStorage;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.storage = new TidemarkStorage(this, "Storage", {
      processorTimeout: TIDEMARK_DEFAULTS.processorTimeout,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
      namePrefix: stageNamePrefix(config.stage),
    });
    // Read by `tidemark --stage <stage>` from `cdk deploy --outputs-file`: the CLI never guesses a name.
    const outputs: Record<string, string> = {
      QueueUrl: this.storage.queue.queueUrl,
      QueueArn: this.storage.queue.queueArn,
      DeadLetterQueueUrl: this.storage.deadLetterQueue.queueUrl,
      DeadLetterQueueArn: this.storage.deadLetterQueue.queueArn,
      StateTableName: this.storage.tables.state.tableName,
      IdempotencyTableName: this.storage.tables.idempotency.tableName,
      SinkBucketName: this.storage.bucket.bucketName,
      // `tidemark sink replay` puts rows from firehose-errors/ back to this stream.
      ...(this.storage.firehoseSink
        ? {
            FirehoseStreamName: this.storage.firehoseSink.deliveryStreamName,
            // `tidemark verify --stage` reads the Iceberg tables and canonical views through Athena.
            AthenaWorkGroupName: this.storage.firehoseSink.workGroup.ref,
            GlueDatabaseName: this.storage.firehoseSink.databaseName,
          }
        : {}),
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
