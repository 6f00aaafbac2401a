import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  INGEST_ENV,
  type IngestSettings,
  resolveIngestSettings,
} from "../../lambdas/ingestApi/ingestSettings.js";
import { EVENT_ID_INDEX, INGEST_TABLE_KEYS, TTL_ATTRIBUTE } from "../../lambdas/ingestApi/ingestTable.js";
import { PAYLOAD_PREFIX } from "../../lambdas/ingestApi/objectStore.js";
import { IngestApiEnv, ProcessorEnv } from "../../lambdas/shared/environment.js";
import { IngestApiMetric } from "../../lambdas/shared/metricNames.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { BlueGreenAlias } from "../compute/BlueGreenAlias.js";
import { IngestorSchedule } from "../compute/IngestorSchedule.js";
import { PipelineFunction } from "../compute/PipelineFunction.js";
import { throwIfInvalid } from "../InvalidPropsError.js";
import { customMetric } from "../monitoring/customMetric.js";
import { kebabAlarmName, notifyingAlarm } from "../monitoring/notifyingAlarm.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";

export interface IngestApiProps {
  /** The serving HTTP API: the ingest routes are added to it (more specific than its `/v1/{proxy+}`). */
  readonly httpApi: apigwv2.HttpApi;
  /** Its stage: POST /v1/events gets its own throttle there. */
  readonly stage: apigwv2.HttpStage;
  /** The pipeline's FIFO queue the processor reads. */
  readonly queue: sqs.IQueue;
  /** Role names the queue's policy admits as senders (EventQueue.ingestApiRoleNames). @default - generated (the queue must then admit them otherwise) */
  readonly senderRoleNames?: { readonly ingest: string; readonly maintenance: string };
  /** The processor: it reads claim-checked payloads back from the payload bucket. */
  readonly processor: lambda.Function;
  readonly topic: sns.ITopic;
  /** @default - no widgets */
  readonly dashboard?: cloudwatch.Dashboard;
  /** Overrides of the limits and modes (INGEST_* variables). @default DEFAULT_INGEST_SETTINGS */
  readonly settings?: Partial<IngestSettings>;
  /**
   * Where commitments are anchored: a secret `{"rpcUrl", "privateKey"}` created and filled outside CDK,
   * and the AnchorRegistry's address. @default - commitments are signed and stored, not anchored
   */
  readonly anchor?: { readonly secretName: string; readonly registryAddress: string };
  /** POST /v1/events, all keys together (each key also has its own token bucket). @default 500/s, burst 1000 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** How often the maintenance round runs (outbox sweep, commit, anchor). @default 1 minute */
  readonly maintenanceRate?: Duration;
  /** Rejected events in 5 minutes that raise the rejection-burst alarm. @default 100 */
  readonly rejectionBurst?: number;
  /** Idempotent hits as a percent of answered events, over 15 minutes, that alarm. @default 10 */
  readonly idempotentHitRatePercent?: number;
  /**
   * Requests answered 5xx per minute, in 2 of 3 minutes, that raise the server-errors alarm (and roll
   * back a deployment of the ingest function). @default 5
   */
  readonly serverErrorsPerMinute?: number;
  /** @default LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection of the ingest table (the stage's setting). @default true */
  readonly deletionProtection?: boolean;
  /** @default "tidemark" */
  readonly namePrefix?: string;
  /** The stage (TIDEMARK_STAGE of the functions, `stage` dimension of their metrics). @default - none */
  readonly tidemarkStage?: string;
}

export const INGEST_API_DEFAULTS = {
  throttle: { rateLimit: 500, burstLimit: 1000 },
  maintenanceRate: Duration.minutes(1),
  rejectionBurst: 100,
  idempotentHitRatePercent: 10,
  serverErrorsPerMinute: 5,
  removalPolicy: RemovalPolicy.RETAIN,
  namePrefix: "tidemark",
  entry: fileURLToPath(new URL("../../lambdas/ingestApi/handler.ts", import.meta.url)),
  maintenanceEntry: fileURLToPath(new URL("../../lambdas/ingestApi/maintenanceHandler.ts", import.meta.url)),
} as const;

/** The routes the ingest function answers (createIngestRoutes.ts), as HTTP API route keys. */
export const INGEST_ROUTES: readonly { readonly method: apigwv2.HttpMethod; readonly path: string }[] = [
  { method: apigwv2.HttpMethod.POST, path: "/v1/events" },
  { method: apigwv2.HttpMethod.GET, path: "/v1/events" },
  { method: apigwv2.HttpMethod.GET, path: "/v1/receipts/{eventId}" },
  { method: apigwv2.HttpMethod.GET, path: "/v1/proofs/{eventId}" },
  { method: apigwv2.HttpMethod.GET, path: "/v1/keys" },
];

/** Item and index actions the ingest functions run on their table (BatchGet for receipts, Transact for sequencing). */
const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:Query",
  // Deleting sent outbox entries (outbox.ts), 25 to a call.
  "dynamodb:BatchWriteItem",
] as const;

export function ingestApiProblems(props: IngestApiProps): string[] {
  const problems: string[] = [];
  try {
    resolveIngestSettings(props.settings);
  } catch (error) {
    problems.push(`settings: ${(error as Error).message}`);
  }
  const { rateLimit, burstLimit } = props.throttle ?? INGEST_API_DEFAULTS.throttle;
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < rateLimit) {
    problems.push(
      `throttle: burstLimit (${burstLimit}) must be a whole number ≥ rateLimit (${rateLimit}) > 0`,
    );
  }
  const serverErrors = props.serverErrorsPerMinute ?? INGEST_API_DEFAULTS.serverErrorsPerMinute;
  if (!Number.isInteger(serverErrors) || serverErrors < 1)
    problems.push(`serverErrorsPerMinute: ${serverErrors} is not a whole number ≥ 1`);
  if (props.anchor && !/^0x[0-9a-fA-F]{40}$/.test(props.anchor.registryAddress)) {
    problems.push(`anchor.registryAddress: "${props.anchor.registryAddress}" is not a 0x address`);
  }
  const rate = (props.maintenanceRate ?? INGEST_API_DEFAULTS.maintenanceRate).toMinutes();
  if (!Number.isInteger(rate) || rate < 1 || rate > 60)
    problems.push(`maintenanceRate: ${rate} min is not 1–60 whole minutes`);
  return problems;
}

/**
 * The ingest API on AWS (issue 16): its table (keys, schemas, sequences, outbox, commitments; PITR), the
 * payload bucket for claim-checked payloads, the receipt-signing key generated into Secrets Manager, the
 * request function behind the serving HTTP API's ingest routes (a `live` alias shifted by CodeDeploy and
 * rolled back on its error alarm) and the maintenance function on a schedule (outbox sweep, commit,
 * anchor). Alarms: a rejection burst, an idempotent-hit rate above 10 %, anchoring lag past twice its
 * period, and errors of either function.
 */
export class IngestApi extends Construct {
  readonly table: dynamodb.Table;
  readonly payloadBucket: s3.Bucket;
  readonly signingKey: secretsmanager.Secret;
  readonly ingest: PipelineFunction;
  readonly maintenance: PipelineFunction;
  readonly ingestLive: BlueGreenAlias;
  readonly maintenanceSchedule: IngestorSchedule;
  readonly settings: IngestSettings;
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  private readonly tidemarkStage?: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    this.tidemarkStage = props.tidemarkStage;
    throwIfInvalid("IngestApi", ingestApiProblems(props));
    const d = INGEST_API_DEFAULTS;
    this.settings = resolveIngestSettings(props.settings);
    const removalPolicy = props.removalPolicy ?? d.removalPolicy;
    this.table = this.createTable(removalPolicy, props.deletionProtection ?? true);
    this.payloadBucket = this.createPayloadBucket(removalPolicy);
    this.signingKey = new secretsmanager.Secret(this, "SigningKey", {
      description: "Tidemark ingest API: Ed25519 key (hex) signing receipts and commitments",
      removalPolicy,
      // 64 characters from 0-9a-f: the 32-byte key as hex.
      generateSecretString: {
        passwordLength: 64,
        excludeUppercase: true,
        excludePunctuation: true,
        includeSpace: false,
        excludeCharacters: "ghijklmnopqrstuvwxyz",
      },
    });
    Validations.of(this.signingKey).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "Receipts already issued are verified against this key (GET /v1/keys); rotating it is a planned procedure (docs/RUNBOOK.md), not a schedule.",
    });
    acknowledgeGuardRule(
      this.signingKey,
      "secretsmanager_rotation_enabled_check",
      "Receipts already issued are verified against this key; rotation is a planned procedure, not a schedule.",
    );
    const environment = this.environment(props);
    const common = {
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment,
      tidemarkStage: props.tidemarkStage,
    };
    this.ingest = new PipelineFunction(this, "Ingest", {
      ...common,
      entry: d.entry,
      description: "Tidemark ingest API: POST/GET /v1/events, receipts, proofs, keys",
      serviceName: ServiceName.ingestApi,
      roleName: props.senderRoleNames?.ingest,
      timeout: Duration.seconds(29),
      memorySize: 1024,
    });
    // The maintenance never reads or writes payloads (its role has no S3 grant), and its handler builds no
    // S3 client: given the bucket, its cold start would fail (createLambdaIngest refuses a bucket without one).
    const { [IngestApiEnv.PayloadBucket]: _payloadBucket, ...maintenanceEnvironment } = environment;
    this.maintenance = new PipelineFunction(this, "Maintenance", {
      ...common,
      environment: maintenanceEnvironment,
      entry: d.maintenanceEntry,
      description: "Tidemark ingest API maintenance: outbox sweep, commitments, anchoring",
      serviceName: ServiceName.ingestMaintenance,
      roleName: props.senderRoleNames?.maintenance,
      timeout: Duration.minutes(1),
    });
    this.grant(props);
    this.ingestLive = new BlueGreenAlias(this, "IngestLive", {
      fn: this.ingest.fn,
      deploymentConfig: props.deploymentConfig,
    });
    const maintenanceLive = new lambda.Alias(this, "MaintenanceLive", {
      aliasName: "live",
      version: this.maintenance.fn.currentVersion,
    });
    this.maintenanceSchedule = new IngestorSchedule(this, "MaintenanceSchedule", {
      target: maintenanceLive,
      rate: props.maintenanceRate ?? d.maintenanceRate,
      retryAttempts: 0,
      removalPolicy,
      description: "Starts the Tidemark ingest API maintenance (outbox, commit, anchor)",
    });
    this.addRoutes(props);
    this.alarms = this.createAlarms(props, maintenanceLive);
    this.ingestLive.addAlarm(this.alarms.ingestErrors as cloudwatch.Alarm);
    this.ingestLive.addAlarm(this.alarms.serverErrors as cloudwatch.Alarm);
    if (props.dashboard) this.addWidgets(props.dashboard);
  }

  private createTable(removalPolicy: RemovalPolicy, deletionProtection: boolean): dynamodb.Table {
    const table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: INGEST_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: INGEST_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
      deletionProtection,
    });
    table.addGlobalSecondaryIndex({
      indexName: EVENT_ID_INDEX.indexName,
      partitionKey: { name: EVENT_ID_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    return table;
  }

  private createPayloadBucket(removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = new s3.Bucket(this, "Payloads", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      removalPolicy,
      // Keys are content addresses: an object is never overwritten with other bytes, old versions are waste.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(1) }],
    });
    const reasons: Record<string, string> = {
      "AwsSolutions-S1":
        "Every write and read is made by the ingest and processor functions, whose calls CloudTrail and their logs record; objects are content-addressed payloads.",
    };
    for (const [ruleId, reason] of Object.entries(reasons))
      Validations.of(bucket).acknowledge({ id: ruleId, reason });
    for (const [rule, reason] of [
      ["s3_bucket_logging_enabled_check", reasons["AwsSolutions-S1"]],
      [
        "s3_bucket_default_encryption_kms_check",
        "SSE-S3: payloads are the producer's own events, readable by the two functions only.",
      ],
      [
        "s3_event_notifications_enabled_check",
        "Nothing consumes object events: the queue message names the object.",
      ],
      [
        "s3_bucket_object_lock_enabled_check",
        "Content-addressed objects are never overwritten; receipts prove their digests.",
      ],
      [
        "s3_bucket_replication_enabled_check",
        "Single-region deployment; the signed receipts and digests detect any loss.",
      ],
    ] as const) {
      acknowledgeGuardRule(bucket, rule, reason as string);
    }
    return bucket;
  }

  private environment(props: IngestApiProps): Record<string, string> {
    const s = this.settings;
    return {
      ...Object.fromEntries(
        (Object.keys(INGEST_ENV) as (keyof IngestSettings)[]).map((k) => [INGEST_ENV[k], String(s[k])]),
      ),
      [IngestApiEnv.IngestTable]: this.table.tableName,
      [IngestApiEnv.QueueUrl]: props.queue.queueUrl,
      [IngestApiEnv.PayloadBucket]: this.payloadBucket.bucketName,
      [IngestApiEnv.SigningKeySecretId]: this.signingKey.secretArn,
      ...(props.anchor
        ? {
            [IngestApiEnv.AnchorSecretId]: props.anchor.secretName,
            [IngestApiEnv.AnchorRegistry]: props.anchor.registryAddress,
          }
        : {}),
    };
  }

  /**
   * Least privilege, the calls the code makes (test/lib/contract/permissionsContract.test.ts runs both
   * functions and compares): table items, Query on the eventId index (an index serves nothing else),
   * SendMessage on the queue (its URL is given: no GetQueueUrl or GetQueueAttributes), GetSecretValue on
   * the key (Powertools getSecret: no DescribeSecret), payload objects.
   */
  private grant(props: IngestApiProps): void {
    for (const fn of [this.ingest, this.maintenance]) {
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions: [...TABLE_ACTIONS], resources: [this.table.tableArn] }),
      );
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ["dynamodb:Query"],
          resources: [`${this.table.tableArn}/index/${EVENT_ID_INDEX.indexName}`],
        }),
      );
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [props.queue.queueArn] }),
      );
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ["secretsmanager:GetSecretValue"],
          resources: [this.signingKey.secretArn],
        }),
      );
    }
    // Objects under the payload prefix only, and only the call each makes (grantRead/grantPut would add
    // List*, Abort* and the rest): the request function writes payloads, the processor reads them.
    const payloads = this.payloadBucket.arnForObjects(`${PAYLOAD_PREFIX}*`);
    const payloadReason =
      "One prefix of the payload bucket: objects are named by their payload's SHA-256, so no narrower key exists.";
    const bucketId = Stack.of(this).getLogicalId(this.payloadBucket.node.defaultChild as s3.CfnBucket);
    for (const [role, actions] of [
      [this.ingest.role, ["s3:PutObject"]],
      [props.processor.role as iam.IRole, ["s3:GetObject"]],
    ] as const) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [payloads] }));
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${PAYLOAD_PREFIX}*]`,
        reason: payloadReason,
      });
    }
    props.processor.addEnvironment(ProcessorEnv.PayloadBucket, this.payloadBucket.bucketName);
    if (props.anchor) {
      secretsmanager.Secret.fromSecretNameV2(this, "AnchorSecret", props.anchor.secretName).grantRead(
        this.maintenance.role,
      );
    }
  }

  private addRoutes(props: IngestApiProps): void {
    const integration = new HttpLambdaIntegration("IngestIntegration", this.ingestLive.alias);
    for (const { method, path } of INGEST_ROUTES) {
      const [route] = props.httpApi.addRoutes({ path, methods: [method], integration });
      Validations.of(route as Construct).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "Authorized in the function by API keys hashed in the ingest table (per stream, rate-limited, revocable; tidemark keys); GET /v1/keys publishes the public receipt key.",
      });
    }
    const { rateLimit, burstLimit } = props.throttle ?? INGEST_API_DEFAULTS.throttle;
    const cfnStage = props.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.addPropertyOverride("RouteSettings", {
      "POST /v1/events": { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
    });
  }

  private metric(
    name: string,
    statistic: string,
    service: string = ServiceName.ingestApi,
    period: Duration = Duration.minutes(5),
  ): cloudwatch.Metric {
    return customMetric({ service, metricName: name, statistic, period, stage: this.tidemarkStage });
  }

  private createAlarms(
    props: IngestApiProps,
    maintenanceLive: lambda.Alias,
  ): Record<string, cloudwatch.Alarm> {
    const d = INGEST_API_DEFAULTS;
    const prefix = `${props.namePrefix ?? d.namePrefix}-ingest-api`;
    const alarm = (id: string, p: Omit<cloudwatch.AlarmProps, "alarmName">) =>
      notifyingAlarm(this, id, props.topic, { ...p, alarmName: kebabAlarmName(prefix, id) });
    const accepted = this.metric(IngestApiMetric.EventsAccepted, "Sum");
    const hits = this.metric(IngestApiMetric.IdempotentHits, "Sum");
    const alarms: Record<string, cloudwatch.Alarm> = {
      rejectionBurst: alarm("RejectionBurst", {
        alarmDescription: "Many events rejected (schema, limits, fields): a producer is sending bad input.",
        metric: this.metric(IngestApiMetric.EventsRejected, "Sum"),
        threshold: props.rejectionBurst ?? d.rejectionBurst,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      idempotentHitRate: alarm("IdempotentHitRate", {
        alarmDescription: "Over 10 % of answered events are repeats: a producer is retrying in a loop.",
        metric: new cloudwatch.MathExpression({
          expression: "IF(accepted + hits > 0, 100 * hits / (accepted + hits), 0)",
          usingMetrics: { accepted, hits },
          period: Duration.minutes(5),
          label: "idempotent-hit rate (%)",
        }),
        threshold: props.idempotentHitRatePercent ?? d.idempotentHitRatePercent,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      ingestErrors: alarm("IngestErrors", {
        alarmDescription: "The ingest function fails (5xx): rolls back a deployment of it.",
        metric: this.ingestLive.alias.metricErrors({ period: Duration.minutes(1), statistic: "Sum" }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      serverErrors: alarm("ServerErrors", {
        alarmDescription:
          "Requests answered 5xx (internal, unavailable, a dependency throttled): producers are being turned away. Rolls back a deployment of the ingest function.",
        metric: this.metric(IngestApiMetric.ServerErrors, "Sum", ServiceName.ingestApi, Duration.minutes(1)),
        threshold: props.serverErrorsPerMinute ?? d.serverErrorsPerMinute,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      maintenanceErrors: alarm("MaintenanceErrors", {
        alarmDescription: "The maintenance round keeps failing: the outbox, commitments and anchors stall.",
        metric: maintenanceLive.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    };
    if (props.anchor) {
      // Anchoring runs each maintenance round once a commitment is due: lag past 2 × (commit period + rate).
      const period =
        this.settings.commitEverySeconds + (props.maintenanceRate ?? d.maintenanceRate).toSeconds();
      alarms.anchoringLag = alarm("AnchoringLag", {
        alarmDescription: "Events wait longer than twice the commit period to be anchored on the L2.",
        metric: this.metric(IngestApiMetric.AnchoringLagSeconds, "Maximum", ServiceName.ingestMaintenance),
        threshold: 2 * period,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
    return alarms;
  }

  private addWidgets(dashboard: cloudwatch.Dashboard): void {
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Ingest API: events answered, requests answered 5xx (right)",
        left: [
          this.metric(IngestApiMetric.EventsAccepted, "Sum"),
          this.metric(IngestApiMetric.IdempotentHits, "Sum"),
          this.metric(IngestApiMetric.EventsRejected, "Sum"),
        ],
        right: [this.metric(IngestApiMetric.ServerErrors, "Sum")],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Ingest API: latency p99 (ms) and anchoring lag (s)",
        left: [this.metric(IngestApiMetric.IngestLatencyMs, "p99")],
        right: [this.metric(IngestApiMetric.AnchoringLagSeconds, "Maximum", ServiceName.ingestMaintenance)],
        width: 12,
      }),
    );
  }
}
