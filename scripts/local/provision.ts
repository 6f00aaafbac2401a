import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { ingestTableDefinition } from "../../lambdas/ingestApi/ingestTable.js";
import { IdempotencyTable, StateTable, TTL_ATTRIBUTE, UNPROVEN_INDEX } from "../../lambdas/shared/tables.js";

/** Resource names of the shared runtime contract (BRIEF): the deployed stack uses the same ones. */
export interface LocalResourceNames {
  readonly stateTable: string;
  readonly idempotencyTable: string;
  /** Must end in `.fifo`. */
  readonly queue: string;
  /** Must end in `.fifo`. */
  readonly deadLetterQueue: string;
}

export const DEFAULT_LOCAL_RESOURCE_NAMES: LocalResourceNames = {
  stateTable: "tidemark-state",
  idempotencyTable: "tidemark-idempotency",
  queue: "tidemark-events.fifo",
  deadLetterQueue: "tidemark-events-dlq.fifo",
};

/** Attribute that expires items in both tables (epoch seconds). */
export { TTL_ATTRIBUTE };

const FOURTEEN_DAYS_S = 14 * 24 * 60 * 60;

export interface ProvisionTablesParameters {
  readonly ddb: DynamoDBClient;
  readonly names?: Partial<LocalResourceNames>;
}

export interface ProvisionQueuesParameters {
  readonly sqs: SQSClient;
  readonly names?: Partial<LocalResourceNames>;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. @default 3 */
  readonly maxReceiveCount?: number;
}

export type ProvisionLocalParameters = ProvisionTablesParameters & ProvisionQueuesParameters;

export interface ProvisionedTables {
  readonly stateTable: string;
  readonly idempotencyTable: string;
}

export interface ProvisionedQueues {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly queueArn: string;
  readonly dlqArn: string;
}

export type ProvisionLocalReturnType = ProvisionedTables & ProvisionedQueues;

/**
 * Create the tables and queues of the runtime contract on local parts. Idempotent: a second call
 * finds what exists and converges its settings (TTL, visibility timeout, redrive policy).
 */
export async function provisionLocal(
  parameters: ProvisionLocalParameters,
): Promise<ProvisionLocalReturnType> {
  const [tables, queues] = await Promise.all([provisionTables(parameters), provisionQueues(parameters)]);
  return { ...tables, ...queues };
}

/** The state table's sparse index of unproven batches, as lib/stateful/PipelineTables.ts declares it. */
const UNPROVEN_GSI: { readonly index: GlobalSecondaryIndex; readonly attributes: AttributeDefinition[] } = {
  index: {
    IndexName: UNPROVEN_INDEX.indexName,
    KeySchema: [
      { AttributeName: UNPROVEN_INDEX.partitionKey, KeyType: "HASH" },
      { AttributeName: UNPROVEN_INDEX.sortKey, KeyType: "RANGE" },
    ],
    Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...UNPROVEN_INDEX.projected] },
  },
  attributes: [
    { AttributeName: UNPROVEN_INDEX.partitionKey, AttributeType: "S" },
    { AttributeName: UNPROVEN_INDEX.sortKey, AttributeType: "N" },
  ],
};

/** State table (`pk`, with the unproven-batch index) and idempotency table (`id`), on demand, TTL on `ttl`. */
export async function provisionTables({ ddb, names }: ProvisionTablesParameters): Promise<ProvisionedTables> {
  const { stateTable, idempotencyTable } = { ...DEFAULT_LOCAL_RESOURCE_NAMES, ...names };
  await Promise.all([
    createTableWithTtl(ddb, stateTable, StateTable.partitionKey, UNPROVEN_GSI),
    createTableWithTtl(ddb, idempotencyTable, IdempotencyTable.partitionKey),
  ]);
  return { stateTable, idempotencyTable };
}

/** The ingest API's table (keys, schemas, sequences, outbox, commitments), as ingestTableDefinition lays it out. */
export async function provisionIngestTable(
  ddb: DynamoDBClient,
  tableName = LOCAL_INGEST_TABLE,
): Promise<string> {
  await ddb.send(new CreateTableCommand(ingestTableDefinition(tableName)));
  return tableName;
}

/** The local name of the ingest table. */
export const LOCAL_INGEST_TABLE = "tidemark-ingest";

/** FIFO queue with explicit deduplication ids, and its FIFO DLQ wired by redrive policy. */
export async function provisionQueues({
  sqs,
  names,
  visibilityTimeoutSeconds = 30,
  maxReceiveCount = 3,
}: ProvisionQueuesParameters): Promise<ProvisionedQueues> {
  const { queue, deadLetterQueue } = { ...DEFAULT_LOCAL_RESOURCE_NAMES, ...names };
  for (const name of [queue, deadLetterQueue]) {
    if (!name.endsWith(".fifo")) throw new Error(`queue name ${name} must end in .fifo`);
  }
  const fifo = {
    FifoQueue: "true",
    // Publishers set MessageDeduplicationId = observationId; content-based dedup would mask a missing one.
    ContentBasedDeduplication: "false",
    MessageRetentionPeriod: String(FOURTEEN_DAYS_S),
  };
  const dlq = await ensureQueue(sqs, deadLetterQueue, fifo);
  const main = await ensureQueue(sqs, queue, {
    ...fifo,
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
  });
  return { queueUrl: main.url, queueArn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
}

async function createTableWithTtl(
  ddb: DynamoDBClient,
  tableName: string,
  key: string,
  gsi?: typeof UNPROVEN_GSI,
): Promise<void> {
  const attributes: AttributeDefinition[] = [
    { AttributeName: key, AttributeType: "S" },
    ...(gsi?.attributes ?? []),
  ];
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: attributes,
        KeySchema: [{ AttributeName: key, KeyType: "HASH" }],
        ...(gsi ? { GlobalSecondaryIndexes: [gsi.index] } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // A table from before the index existed: add it, keeping the items.
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    const has = (Table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === gsi?.index.IndexName);
    if (gsi && !has) {
      await ddb.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: gsi.index }],
        }),
      );
    }
  }
  const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  // UpdateTimeToLive rejects enabling TTL that is already enabled, so only ask when it is not.
  if (
    TimeToLiveDescription?.TimeToLiveStatus === "ENABLED" &&
    TimeToLiveDescription.AttributeName === TTL_ATTRIBUTE
  ) {
    return;
  }
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
  } catch (error) {
    // The queue exists with other settings: keep it (and its messages) and converge the settings.
    if (!isQueueNameTaken(error)) throw error;
    ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
    const { FifoQueue: _immutable, ...settable } = attributes;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: settable }));
  }
  if (url === undefined) throw new Error(`SQS returned no URL for queue ${name}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn" as QueueAttributeName] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn };
}

function isQueueNameTaken(error: unknown): boolean {
  if (error instanceof QueueNameExists) return true;
  // Query-compatible servers may surface the code as "AWS.SimpleQueueService.QueueNameExists".
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" && /(QueueNameExists|QueueAlreadyExists)$/.test(name);
}
