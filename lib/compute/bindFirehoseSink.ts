import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SinkEnv } from "../../lambdas/shared/environment.js";
import type { SinkKind } from "../../lambdas/sink/sinkConfig.js";

/**
 * Points a function's columnar sink at a Data Firehose stream (SINK=firehose,
 * FIREHOSE_STREAM_NAME) and lets it put records into that stream only. The stream and its
 * Iceberg destination are managed outside Tidemark; only its name is needed.
 */
export const bindFirehoseSink = (fn: lambda.Function, streamName: string): void => {
  fn.addEnvironment(SinkEnv.Sink, "firehose" satisfies SinkKind);
  fn.addEnvironment(SinkEnv.FirehoseStreamName, streamName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      // DescribeDeliveryStream lets the smoke test check the stream is ACTIVE without writing.
      actions: ["firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"],
      resources: [
        Stack.of(fn).formatArn({ service: "firehose", resource: "deliverystream", resourceName: streamName }),
      ],
    }),
  );
};
