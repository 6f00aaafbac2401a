import { ArnFormat, Aws, CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as athena from "aws-cdk-lib/aws-athena";
import * as glue from "aws-cdk-lib/aws-glue";
import * as iam from "aws-cdk-lib/aws-iam";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { SinkEnv } from "../../lambdas/shared/environment.js";
import { FIREHOSE_ERROR_PREFIX } from "../../lambdas/sink/firehoseErrorRecords.js";
import { type ColumnKind, PRIMARY_KEYS, TABLE_COLUMNS, TABLE_NAMES } from "../../lambdas/sink/rows.js";
import type { SinkKind } from "../../lambdas/sink/sinkConfig.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";
import { ATHENA_QUERIES } from "./athenaQueries.js";

export interface FirehoseIcebergSinkProps {
  /** The sink bucket (TidemarkStorage): Iceberg data under `iceberg/`, failed records under `firehose-errors/`. */
  readonly bucket: s3.IBucket;
  /** Delivery stream name; the processor's FIREHOSE_STREAM_NAME. */
  readonly deliveryStreamName: string;
  /** Glue database of the Iceberg tables (lowercase, `_`). @default "tidemark" */
  readonly databaseName?: string;
  /** Athena workgroup with the saved chain-metric queries. @default "<databaseName>" */
  readonly workGroupName?: string;
  /** Seconds Firehose buffers before a commit: freshness versus small files. @default 60 */
  readonly bufferInterval?: Duration;
  /** Glue tables (metadata; the data stays in the bucket either way) and the delivery log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Snapshots older than this are expired by the Glue retention optimizer (time travel reaches this far back). @default 7 days */
  readonly snapshotRetention?: Duration;
}

export const FIREHOSE_ICEBERG_SINK_DEFAULTS = {
  databaseName: "tidemark",
  bufferInterval: Duration.seconds(60),
  removalPolicy: RemovalPolicy.RETAIN,
  logRetention: logs.RetentionDays.ONE_MONTH,
  snapshotRetention: Duration.days(7),
  /** Snapshots kept whatever their age. */
  snapshotsToRetain: 5,
} as const;

/** Key prefixes in the sink bucket. */
export const SINK_PREFIXES = {
  iceberg: "iceberg/",
  errors: FIREHOSE_ERROR_PREFIX,
  athenaResults: "athena-results/",
} as const;

/**
 * Iceberg column types. Unsigned counts and unix seconds fit a bigint; gas, fees and wei can pass
 * 2^63, and the Firehose adapter sends them as decimal strings (firehoseSink.ts), so they stay strings
 * and queries CAST them to DECIMAL(38, 0): no precision lost, no parse step in the delivery.
 */
const GLUE_TYPE: { readonly [K in ColumnKind]: string } = { int: "bigint", bigint: "string", text: "string" };

/**
 * The AWS-native columnar sink: a Data Firehose stream (Direct PUT, encrypted) delivering into Apache
 * Iceberg tables in the Glue Data Catalog, one per rows.ts table. Every record carries a `table` field
 * (firehoseSink.ts); a JQ metadata extraction routes it to that table as an `update` on the table's
 * unique keys (rows.ts PRIMARY_KEYS), so a record Firehose or the processor repeats replaces its row
 * instead of duplicating it. Failed records land under `firehose-errors/`. An Athena workgroup with
 * enforced, encrypted results holds saved queries for the canonical views and the chain metrics.
 */
export class FirehoseIcebergSink extends Construct {
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly role: iam.Role;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly tables: Readonly<Record<string, glue.CfnTable>>;
  readonly workGroup: athena.CfnWorkGroup;
  readonly logGroup: logs.LogGroup;
  /** Glue's compaction, snapshot retention and orphan-file deletion per table (Firehose's updates write many small files). */
  readonly optimizers: readonly glue.CfnTableOptimizer[];

  constructor(scope: Construct, id: string, props: FirehoseIcebergSinkProps) {
    super(scope, id);
    const d = FIREHOSE_ICEBERG_SINK_DEFAULTS;
    const databaseName = props.databaseName ?? d.databaseName;
    const removalPolicy = props.removalPolicy ?? d.removalPolicy;
    const { bucket } = props;
    const stack = Stack.of(this);
    this.databaseName = databaseName;
    this.deliveryStreamName = props.deliveryStreamName;

    this.database = new glue.CfnDatabase(this, "Database", {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: "Tidemark chain events (Apache Iceberg, written by Data Firehose)",
      },
    });
    this.database.applyRemovalPolicy(removalPolicy);

    const tables = createIcebergTables(this, {
      database: this.database,
      databaseName,
      bucket,
      removalPolicy,
    });
    this.tables = tables;

    this.logGroup = new logs.LogGroup(this, "DeliveryLogs", {
      retention: props.logRetention ?? d.logRetention,
      removalPolicy,
    });
    const logStream = this.logGroup.addStream("IcebergDelivery");
    acknowledgeGuardRule(
      this.logGroup,
      "cloudwatch_log_group_encrypted_check",
      "CloudWatch Logs encrypts log data at rest by default; delivery errors name tables and keys, never secrets.",
    );
    if ((props.logRetention ?? d.logRetention) < logs.RetentionDays.ONE_YEAR) {
      acknowledgeGuardRule(
        this.logGroup,
        "cloudwatch_log_group_retention_period_check",
        "Retention is the caller's choice for this stage (cost); production keeps logs for a year.",
      );
    }

    const catalogArn = stack.formatArn({ service: "glue", resource: "catalog" });
    this.role = createDeliveryRole(this, {
      databaseName,
      bucket,
      catalogArn,
      logGroup: this.logGroup,
      logStream,
    });

    const errorPrefix = `${SINK_PREFIXES.errors}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;
    this.deliveryStream = new firehose.CfnDeliveryStream(this, "DeliveryStream", {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: "DirectPut",
      deliveryStreamEncryptionConfigurationInput: { keyType: "AWS_OWNED_CMK" },
      icebergDestinationConfiguration: {
        roleArn: this.role.roleArn,
        catalogConfiguration: { catalogArn },
        // Updates, not appends: a repeated record must replace its row (unique keys below).
        appendOnly: false,
        bufferingHints: {
          intervalInSeconds: (props.bufferInterval ?? d.bufferInterval).toSeconds(),
          sizeInMBs: 64,
        },
        retryOptions: { durationInSeconds: 300 },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: "MetadataExtraction",
              parameters: [
                {
                  parameterName: "MetadataExtractionQuery",
                  // Route on the record's `table`; `update` upserts on the table's unique keys.
                  parameterValue: `{destinationDatabaseName:"${databaseName}",destinationTableName:.table,operation:"update"}`,
                },
                { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
              ],
            },
          ],
        },
        destinationTableConfigurationList: TABLE_NAMES.map((table) => ({
          destinationDatabaseName: databaseName,
          destinationTableName: table,
          uniqueKeys: [...PRIMARY_KEYS[table]],
          s3ErrorOutputPrefix: `${SINK_PREFIXES.errors}${table}/`,
        })),
        s3BackupMode: "FailedDataOnly",
        s3Configuration: {
          bucketArn: bucket.bucketArn,
          roleArn: this.role.roleArn,
          errorOutputPrefix: errorPrefix,
          bufferingHints: { intervalInSeconds: 300, sizeInMBs: 5 },
          compressionFormat: "GZIP",
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // The role's policy must exist before Firehose validates its access to the tables.
    this.deliveryStream.node.addDependency(this.role);
    for (const t of Object.values(tables)) this.deliveryStream.node.addDependency(t);
    this.deliveryStreamArn = this.deliveryStream.attrArn;

    this.workGroup = createWorkGroup(this, props.workGroupName ?? databaseName, databaseName, bucket);
    this.optimizers = createTableOptimizers(this, {
      databaseName,
      bucket,
      catalogArn,
      tables,
      snapshotRetentionDays: (props.snapshotRetention ?? d.snapshotRetention).toDays(),
    });
  }

  /** Points a function's sink at this stream (SINK=firehose, FIREHOSE_STREAM_NAME) and lets it put records. */
  bindWriter(fn: lambda.Function): void {
    fn.addEnvironment(SinkEnv.Sink, "firehose" satisfies SinkKind);
    fn.addEnvironment(SinkEnv.FirehoseStreamName, this.deliveryStreamName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        // DescribeDeliveryStream lets the smoke test check the stream is ACTIVE without writing.
        actions: ["firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"],
        resources: [this.deliveryStreamArn],
      }),
    );
  }
}

/** One Glue Iceberg table per Tidemark table, in `databaseName`, stored under the sink bucket's Iceberg prefix. */
function createIcebergTables(
  scope: Construct,
  p: { database: glue.CfnDatabase; databaseName: string; bucket: s3.IBucket; removalPolicy: RemovalPolicy },
): Record<string, glue.CfnTable> {
  const { databaseName, bucket, removalPolicy } = p;
  const tables: Record<string, glue.CfnTable> = {};
  for (const table of TABLE_NAMES) {
    const columns = Object.entries(TABLE_COLUMNS[table]).map(([name, kind]) => ({
      name,
      type: GLUE_TYPE[kind as ColumnKind],
    }));
    const cfn = new glue.CfnTable(scope, `Table_${table}`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      // Glue writes the Iceberg metadata itself (format v2); the table shape lives in TableInput.
      openTableFormatInput: { icebergInput: { metadataOperation: "CREATE", version: "2" } },
      tableInput: {
        name: table,
        tableType: "EXTERNAL_TABLE",
        description: `Tidemark ${table}; unique key (${PRIMARY_KEYS[table].join(", ")})`,
        storageDescriptor: {
          location: bucket.s3UrlForObject(`${SINK_PREFIXES.iceberg}${table}`),
          // The store's insert time, an ISO-8601 string: Athena reads it with from_iso8601_timestamp.
          columns: [...columns, { name: "inserted_at", type: "string" }],
        },
      },
    });
    cfn.node.addDependency(p.database);
    cfn.applyRemovalPolicy(removalPolicy);
    tables[table] = cfn;
  }
  return tables;
}

/**
 * Least privilege: the stream's role reads and commits the Tidemark tables only, and writes only under
 * the Iceberg and error prefixes of the sink bucket, and into its own log stream.
 */
function createDeliveryRole(
  scope: Construct,
  p: {
    databaseName: string;
    bucket: s3.IBucket;
    catalogArn: string;
    logGroup: logs.LogGroup;
    logStream: logs.LogStream;
  },
): iam.Role {
  const { databaseName, bucket, catalogArn, logGroup, logStream } = p;
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, "Role", {
    assumedBy: new iam.ServicePrincipal("firehose.amazonaws.com", {
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
    description: "Data Firehose delivery into the Tidemark Iceberg tables",
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
      resources: [
        catalogArn,
        stack.formatArn({ service: "glue", resource: "database", resourceName: databaseName }),
        ...TABLE_NAMES.map((t) =>
          stack.formatArn({ service: "glue", resource: "table", resourceName: `${databaseName}/${t}` }),
        ),
      ],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      resources: [bucket.bucketArn],
    }),
  );
  const objects = [SINK_PREFIXES.iceberg, SINK_PREFIXES.errors].map((p) => bucket.arnForObjects(`${p}*`));
  role.addToPolicy(
    new iam.PolicyStatement({
      // DeleteObject: Iceberg commits replace metadata files; updates on unique keys write delete files.
      actions: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: objects,
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["logs:PutLogEvents"],
      resources: [
        stack.formatArn({
          service: "logs",
          resource: "log-group",
          resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  const bucketArn = nagBucketArn(stack, bucket);
  for (const prefix of [SINK_PREFIXES.iceberg, SINK_PREFIXES.errors]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
      reason:
        "Object actions are scoped to one prefix of the sink bucket; Iceberg names its data, delete and metadata files itself, so no narrower key exists.",
    });
  }

  return role;
}

/** How cdk-nag names the bucket in a finding; the bucket must live in this stack for the name to be known here. */
function nagBucketArn(stack: Stack, bucket: s3.IBucket): string {
  const bucketResource = bucket.node.defaultChild;
  return CfnElement.isCfnElement(bucketResource)
    ? `<${stack.getLogicalId(bucketResource)}.Arn>`
    : bucket.bucketArn;
}

/** Which Glue table optimizers run on every Iceberg table. */
const OPTIMIZER_TYPES = ["compaction", "retention", "orphan_file_deletion"] as const;

/**
 * Glue's managed table maintenance: compaction of the small files and delete files every Firehose
 * commit with updates leaves, expiry of old snapshots (and their files), and removal of files no
 * snapshot references. Its role may touch the Tidemark tables and the Iceberg prefix only.
 */
function createTableOptimizers(
  scope: Construct,
  p: {
    databaseName: string;
    bucket: s3.IBucket;
    catalogArn: string;
    tables: Readonly<Record<string, glue.CfnTable>>;
    snapshotRetentionDays: number;
  },
): glue.CfnTableOptimizer[] {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, "OptimizerRole", {
    assumedBy: new iam.ServicePrincipal("glue.amazonaws.com", {
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
    description:
      "Glue table optimizers (compaction, snapshot retention, orphan files) of the Tidemark Iceberg tables",
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
      resources: [
        p.catalogArn,
        stack.formatArn({ service: "glue", resource: "database", resourceName: p.databaseName }),
        ...TABLE_NAMES.map((t) =>
          stack.formatArn({ service: "glue", resource: "table", resourceName: `${p.databaseName}/${t}` }),
        ),
      ],
    }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [p.bucket.bucketArn] }));
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: [p.bucket.arnForObjects(`${SINK_PREFIXES.iceberg}*`)],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [
        stack.formatArn({
          service: "logs",
          resource: "log-group",
          resourceName: "/aws-glue/iceberg-table-optimizer*",
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  for (const resource of [
    `${nagBucketArn(stack, p.bucket)}/${SINK_PREFIXES.iceberg}*`,
    "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/iceberg-table-optimizer*",
  ]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        "Iceberg names its files itself under the table prefix, and Glue names the optimizer's log group and streams: no narrower resource exists.",
    });
  }
  const configuration = (type: (typeof OPTIMIZER_TYPES)[number]) => ({
    enabled: true,
    roleArn: role.roleArn,
    ...(type === "retention"
      ? {
          retentionConfiguration: {
            icebergConfiguration: {
              snapshotRetentionPeriodInDays: p.snapshotRetentionDays,
              numberOfSnapshotsToRetain: FIREHOSE_ICEBERG_SINK_DEFAULTS.snapshotsToRetain,
              cleanExpiredFiles: true,
            },
          },
        }
      : {}),
  });
  const optimizers: glue.CfnTableOptimizer[] = [];
  for (const [table, cfn] of Object.entries(p.tables)) {
    for (const type of OPTIMIZER_TYPES) {
      const optimizer = new glue.CfnTableOptimizer(scope, `Optimizer_${table}_${type}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: p.databaseName,
        tableName: table,
        type,
        tableOptimizerConfiguration: configuration(type),
      });
      optimizer.node.addDependency(cfn, role);
      optimizers.push(optimizer);
    }
  }
  return optimizers;
}

/** The Athena workgroup (results enforced, encrypted) with the saved canonical-view and chain-metric queries. */
function createWorkGroup(
  scope: Construct,
  name: string,
  databaseName: string,
  bucket: s3.IBucket,
): athena.CfnWorkGroup {
  const workGroup = new athena.CfnWorkGroup(scope, "WorkGroup", {
    name,
    description: "Tidemark chain metrics over the Iceberg tables",
    state: "ENABLED",
    recursiveDeleteOption: true,
    workGroupConfiguration: {
      // Enforced: a client cannot send results elsewhere or unencrypted.
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      engineVersion: { selectedEngineVersion: "Athena engine version 3" },
      resultConfiguration: {
        outputLocation: bucket.s3UrlForObject(SINK_PREFIXES.athenaResults),
        encryptionConfiguration: { encryptionOption: "SSE_S3" },
      },
    },
  });
  acknowledgeGuardRule(
    workGroup,
    "athena_workgroup_results_encrypted_at_rest_kms_check",
    "Results are encrypted with SSE-S3 in the sink bucket, as the Iceberg data they are computed from is (see SinkBucket); a KMS key would add cost and grants, not protection.",
  );
  ATHENA_QUERIES.forEach((q, i) => {
    const named = new athena.CfnNamedQuery(scope, `Query${i}`, {
      name: q.name,
      description: q.description,
      database: databaseName,
      workGroup: workGroup.ref,
      queryString: q.sql,
    });
    named.node.addDependency(workGroup);
  });
  return workGroup;
}
