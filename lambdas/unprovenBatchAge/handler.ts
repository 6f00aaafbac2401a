import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { traced } from "../shared/tracing.js";
import { loadUnprovenBatchAgeConfig } from "./config.js";
import { createUnprovenBatchAgeHandler } from "./createUnprovenBatchAgeHandler.js";

/** The Lambda entry point, built once per container: a bad setting fails the init with a ConfigError. */
export const handler = createUnprovenBatchAgeHandler({
  config: loadUnprovenBatchAgeConfig(process.env),
  ddb: traced(new DynamoDBClient({})),
});
