import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createSink } from "../sink/createSink.js";
import { loadProcessorConfig } from "./config.js";
import { createProcessorHandler } from "./createProcessorHandler.js";

export { createProcessorHandler };

/**
 * The Lambda entry point. Config, clients and the handler are built once per container, at cold
 * start: a bad or missing setting fails the init with a ConfigError naming the variable.
 * The sink adapter is built at the first invocation (dynamic import of the configured one only).
 */
export const handler = createProcessorHandler({
  config: loadProcessorConfig(process.env),
  ddb: new DynamoDBClient({}),
  sqs: new SQSClient({}),
  sinkFactory: (sinkConfig) => createSink(sinkConfig),
});
