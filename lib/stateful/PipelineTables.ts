import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { ProcessorEnv, STATE_TABLE } from "../../lambdas/shared/environment.js";
import {
  IdempotencyTable,
  STATE_KEY_PATTERNS,
  StateTable,
  TTL_ATTRIBUTE,
  UNPROVEN_INDEX,
} from "../../lambdas/shared/tables.js";

export interface PipelineTablesProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly deletionProtection?: boolean;
}

/** lambdas/processor/idempotencyStore.ts: INSERT, SELECT, UPDATE and DELETE statements; the smoke test's DescribeTable. */
const IDEMPOTENCY_ACTIONS = [
  "dynamodb:PartiQLInsert",
  "dynamodb:PartiQLSelect",
  "dynamodb:PartiQLUpdate",
  "dynamodb:PartiQLDelete",
  "dynamodb:DescribeTable",
] as const;

/**
 * Item reads and writes that name their keys, so `dynamodb:LeadingKeys` can fence them. Scan names
 * none (a LeadingKeys condition would not hold it back), so no function gets it. The operator role runs
 * backfills and repairs with any of them.
 */
const STATE_ITEM_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:GetItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

/**
 * What each function's code runs on the state table, exactly (test/lib/contract/permissionsContract
 * records the calls and fails on a missing or an unused grant). TransactWriteItems is authorized per
 * item, by the action of each (Put → PutItem, ConditionCheck → ConditionCheckItem).
 */
const STATE_TABLE_USES = {
  /** Cursor and lease: GetItem, UpdateItem; published-hash items: BatchGetItem, and a Put fenced by a cursor ConditionCheck. */
  ingestor: {
    actions: [
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "dynamodb:ConditionCheckItem",
    ],
    describe: false,
  },
  /** Lifecycle items and the L1 block index: GetItem, UpdateItem, BatchGetItem; the event log: a transaction of Update and Puts. */
  processor: {
    actions: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"],
    // The smoke test checks that the table is ACTIVE.
    describe: true,
  },
} as const satisfies Record<
  string,
  { actions: readonly (typeof STATE_ITEM_ACTIONS)[number][]; describe: boolean }
>;

/** A function that reads and writes items of the state table, named as in STATE_KEY_PATTERNS. */
export type StateTableUser = keyof typeof STATE_KEY_PATTERNS;

/** Limits item actions to the partition keys `user` owns (every key of the request must match). */
const ownKeysOnly = (user: StateTableUser) => ({
  "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...STATE_KEY_PATTERNS[user]] },
});

export const PIPELINE_TABLES_DEFAULTS = {
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
} as const;

/**
 * The two DynamoDB tables of the runtime contract: the state table (cursors, leases, batch
 * lifecycle; key `pk`; sparse index `unproven` of proposed batches without proof) and the idempotency table (one item per observation id; key `id`).
 * Both expire items through the `ttl` attribute (epoch seconds).
 */
export class PipelineTables extends Construct {
  readonly stateTable: dynamodb.Table;
  readonly idempotencyTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PipelineTablesProps = {}) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy ?? PIPELINE_TABLES_DEFAULTS.removalPolicy,
      deletionProtection: props.deletionProtection ?? PIPELINE_TABLES_DEFAULTS.deletionProtection,
    };
    this.stateTable = new dynamodb.Table(this, "StateTable", {
      ...common,
      partitionKey: { name: StateTable.partitionKey, type: dynamodb.AttributeType.STRING },
      // Keys only: the WebSocket fan-out is woken when the event log's head item changes (WebSocketStream).
      stream: dynamodb.StreamViewType.KEYS_ONLY,
    });
    // Sparse: only proposed, unproven batches carry the key, so reading the oldest is one small Query.
    this.stateTable.addGlobalSecondaryIndex({
      indexName: UNPROVEN_INDEX.indexName,
      partitionKey: { name: UNPROVEN_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: UNPROVEN_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...UNPROVEN_INDEX.projected],
    });
    this.idempotencyTable = new dynamodb.Table(this, "IdempotencyTable", {
      ...common,
      partitionKey: { name: IdempotencyTable.partitionKey, type: dynamodb.AttributeType.STRING },
    });
  }

  /**
   * Passes STATE_TABLE and grants the item actions `user` runs, on the items it owns (the ingestor its
   * cursors and leases, the processor the lifecycle items and the event log), and DescribeTable to a
   * smoke test that reads it.
   */
  bindState(fn: lambda.Function, user: keyof typeof STATE_TABLE_USES): void {
    fn.addEnvironment(STATE_TABLE, this.stateTable.tableName);
    const uses = STATE_TABLE_USES[user];
    // The table only: grantReadWriteData would add `index/*`, which the ingestor and processor never read.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...uses.actions],
        resources: [this.stateTable.tableArn],
        conditions: ownKeysOnly(user),
      }),
    );
    if (uses.describe)
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["dynamodb:DescribeTable"],
          resources: [this.stateTable.tableArn],
        }),
      );
  }

  /** Lets an operator role (the queue's redrive role) run backfills: their cursor items, nothing else. */
  grantOperator(role: iam.IGrantable): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...STATE_ITEM_ACTIONS, "dynamodb:DescribeTable"],
        resources: [this.stateTable.tableArn],
        conditions: ownKeysOnly("operator"),
      }),
    );
  }

  /**
   * Passes STATE_TABLE to the unproven-batch-age function and lets it query the unproven-batch index, clear
   * stale index entries of lifecycle items (UpdateItem) and describe the table for its smoke test — nothing else.
   */
  bindUnprovenIndexReader(fn: lambda.Function): void {
    fn.addEnvironment(STATE_TABLE, this.stateTable.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${this.stateTable.tableArn}/index/${UNPROVEN_INDEX.indexName}`],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:UpdateItem"],
        resources: [this.stateTable.tableArn],
        conditions: ownKeysOnly("unprovenBatchAge"),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["dynamodb:DescribeTable"], resources: [this.stateTable.tableArn] }),
    );
  }

  /**
   * Passes IDEMPOTENCY_TABLE and grants what the processor runs on it: PartiQL claims, reads,
   * completions and releases (BatchExecuteStatement is authorized per statement kind, by the
   * PartiQL actions, which grantReadWriteData does not include) and DescribeTable for its smoke test.
   */
  bindIdempotency(fn: lambda.Function): void {
    fn.addEnvironment(ProcessorEnv.IdempotencyTable, this.idempotencyTable.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...IDEMPOTENCY_ACTIONS],
        resources: [this.idempotencyTable.tableArn],
      }),
    );
  }
}
