import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoEventLog } from "../api/stream/createDynamoEventLog.js";
import { lambdaAwsRequester } from "../shared/awsLambdaRequester.js";
import { createS3RestClient, createS3RestObjectStore } from "../shared/awsS3.js";
import { AwsEnv, ProcessorEnv } from "../shared/environment.js";
import { positiveIntSetting, readSetting } from "../shared/readConfig.js";
import { traced } from "../shared/tracing.js";
import { createLambdaSink } from "../sink/createSink.js";
import { loadProcessorConfig } from "./config.js";
import { createProcessorHandler } from "./createProcessorHandler.js";

export { createProcessorHandler };

/** Where claim-checked API payloads are (the ingest API's bucket), when this stack serves the ingest API. */
const payloadBucket = process.env[ProcessorEnv.PayloadBucket];

/**
 * The Lambda entry point. Config, clients and the handler are built once per container, at cold
 * start: a bad or missing setting fails the init with a ConfigError naming the variable.
 * The sink adapter is built at the first invocation (dynamic import of the configured one only).
 */
const config = loadProcessorConfig(process.env);
const ddb = traced(new DynamoDBClient({}));
/** Only a stack that serves the live stream sets the retention; without it nothing is logged. */
const logRetentionDays = process.env[ProcessorEnv.EventLogRetentionDays]?.trim()
  ? readSetting(process.env, ProcessorEnv.EventLogRetentionDays, positiveIntSetting(7))
  : undefined;

export const handler = createProcessorHandler({
  config,
  ddb,
  sqs: traced(new SQSClient({})),
  sinkFactory: (sinkConfig) => createLambdaSink(sinkConfig),
  // Only a stack that serves the ingest API sets the bucket; without it no event is claim-checked.
  // The light S3 path, not @aws-sdk/client-s3: one GET does not need a fifth of the bundle.
  ...(payloadBucket
    ? {
        objectStore: createS3RestObjectStore({
          s3: createS3RestClient({
            requester: lambdaAwsRequester(process.env),
            endpoint: process.env[AwsEnv.EndpointUrlS3],
          }),
          bucket: payloadBucket,
        }),
      }
    : {}),
  ...(logRetentionDays
    ? {
        eventLog: createDynamoEventLog({
          ddb,
          tableName: config.stateTable,
          retentionDays: logRetentionDays,
        }),
      }
    : {}),
});
