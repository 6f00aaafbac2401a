import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { validateRecord } from "../lambdas/processor/validateRecord.js";
import type { Sink } from "../lambdas/sink/Sink.js";

export interface PowertoolsBaselineParameters {
  readonly ddb: DynamoDBClient;
  /** Partition key `id`, TTL attribute `ttl` (the contract's idempotency table layout). */
  readonly tableName: string;
  readonly sink: Sink;
}

export type BaselineHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * What a team would write with Powertools instead of Tidemark's processor: the FIFO partial batch
 * processor over a record handler made idempotent on the SQS deduplication id, writing each
 * record's rows into the same sink. One claim, one side effect, one completion per record.
 */
export function createPowertoolsBaseline(parameters: PowertoolsBaselineParameters): BaselineHandler {
  const { ddb, tableName, sink } = parameters;
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: "id",
    expiryAttr: "ttl",
    awsSdkV3Client: ddb,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "attributes.MessageDeduplicationId",
    expiresAfterSeconds: 30 * 86_400,
  });
  const processor = new SqsFifoPartialProcessorAsync();
  const recordHandler = makeIdempotent(
    async (record: SQSRecord) => {
      const result = validateRecord(record);
      if (!result.ok) throw result.error;
      await sink.write([{ event: result.event, key: result.key, observationId: result.observationId }]);
      return { observationId: result.observationId };
    },
    { persistenceStore, config },
  );
  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}
