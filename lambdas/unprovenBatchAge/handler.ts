import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { loadChainMetricsConfig } from "./config.js";
import { createChainMetricsHandler } from "./createChainMetricsHandler.js";

/** The Lambda entry point, built once per container: a bad setting fails the init with a ConfigError. */
export const handler = createChainMetricsHandler({
  config: loadChainMetricsConfig(process.env),
  ddb: new DynamoDBClient({}),
});
