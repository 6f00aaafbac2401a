import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface PipelineTablesProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly deletionProtection?: boolean;
}

export const PIPELINE_TABLES_DEFAULTS = {
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
} as const;

/**
 * The two DynamoDB tables of the runtime contract: the state table (cursors, leases, batch
 * lifecycle; key `pk`) and the idempotency table (one item per observation id; key `id`).
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
      timeToLiveAttribute: "ttl",
      removalPolicy: props.removalPolicy ?? PIPELINE_TABLES_DEFAULTS.removalPolicy,
      deletionProtection: props.deletionProtection ?? PIPELINE_TABLES_DEFAULTS.deletionProtection,
    };
    this.stateTable = new dynamodb.Table(this, "StateTable", {
      ...common,
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    });
    this.idempotencyTable = new dynamodb.Table(this, "IdempotencyTable", {
      ...common,
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    });
  }

  /** Passes STATE_TABLE and grants item reads and writes on it (cursor, lease, lifecycle). */
  bindState(fn: lambda.Function): void {
    fn.addEnvironment("STATE_TABLE", this.stateTable.tableName);
    this.stateTable.grantReadWriteData(fn);
  }

  /** Passes IDEMPOTENCY_TABLE and grants item reads and writes on it (claims and completions). */
  bindIdempotency(fn: lambda.Function): void {
    fn.addEnvironment("IDEMPOTENCY_TABLE", this.idempotencyTable.tableName);
    this.idempotencyTable.grantReadWriteData(fn);
  }
}
