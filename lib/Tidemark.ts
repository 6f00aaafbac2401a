import { fileURLToPath } from "node:url";
import { Duration, Names, RemovalPolicy } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { IngestorEnv, ProcessorEnv } from "../lambdas/shared/environment.js";
import { ServiceName } from "../lambdas/shared/serviceNames.js";
import { BlueGreenAlias } from "./compute/BlueGreenAlias.js";
import { bindFirehoseSink } from "./compute/bindFirehoseSink.js";
import { bindRpcSecret } from "./compute/bindRpcSecret.js";
import { IngestorSchedule } from "./compute/IngestorSchedule.js";
import { PipelineFunction } from "./compute/PipelineFunction.js";
import { throwIfInvalid } from "./InvalidPropsError.js";
import { AlarmTopic } from "./monitoring/AlarmTopic.js";
import { FirehoseDeliveryAlarms } from "./monitoring/FirehoseDeliveryAlarms.js";
import { PipelineMetrics } from "./monitoring/metrics.js";
import { OperationsAlarms } from "./monitoring/OperationsAlarms.js";
import {
  type AlarmThresholds,
  DEFAULT_ALARM_THRESHOLDS,
  PipelineAlarms,
} from "./monitoring/PipelineAlarms.js";
import { PipelineDashboard } from "./monitoring/PipelineDashboard.js";
import type { FirehoseIcebergSink } from "./sink/FirehoseIcebergSink.js";
import { EVENT_QUEUE_DEFAULTS, eventQueueProblems } from "./stateful/EventQueue.js";
import { TidemarkStorage, type TidemarkTables } from "./TidemarkStorage.js";

/** Handler modules of the functions (each exports `handler`). */
export interface TidemarkEntries {
  /** @default lambdas/ingestor/handler.ts */
  readonly ingestor?: string;
  /** @default lambdas/processor/handler.ts */
  readonly processor?: string;
  /** @default lambdas/deployHook/handler.ts */
  readonly deployHook?: string;
  /** @default lambdas/unprovenBatchAge/handler.ts */
  readonly unprovenBatchAge?: string;
}

export interface TidemarkProps {
  /** Prefix of physical names: queues, alarms, dashboard, Firehose stream. @default "tidemark" */
  readonly namePrefix?: string;
  /**
   * The stage (dev, staging, prod) when several share an account: set as TIDEMARK_STAGE on the
   * functions, whose custom metrics then carry it as the `stage` dimension the alarms and dashboard read.
   * @default - none (no `stage` dimension)
   */
  readonly tidemarkStage?: string;
  /**
   * Existing stateful resources, e.g. from a separate, protected stack. When given, the
   * storage settings (`visibilityTimeout`, `maxReceiveCount`, `deletionProtection`) belong on
   * it and are rejected here.
   * @default - a TidemarkStorage is created inside this construct
   */
  readonly storage?: TidemarkStorage;
  /** Queues, tables, bucket, log groups and the alarm key when removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection. @default true */
  readonly deletionProtection?: boolean;
  /** Queue visibility timeout; must be ≥ 6 × processorTimeout. @default 6 × processorTimeout */
  readonly visibilityTimeout?: Duration;
  /** Receives before a message is dead-lettered. @default 3 */
  readonly maxReceiveCount?: number;
  /** Secrets Manager secret (name) with the RPC URLs; created and filled outside CDK. @default "tidemark/rpc-urls" */
  readonly rpcUrlsSecretName?: string;
  /**
   * The Taiko network preset the ingestor follows across forks (lambdas/shared/taiko/networks.ts:
   * Pacaya then Shasta contracts, the activation), set as TAIKO_NETWORK; `-c network=hoodi` in the app.
   * Give `inboxAddress` instead to watch one Pacaya inbox only.
   * @default "mainnet" (unless inboxAddress is given)
   */
  readonly network?: "mainnet" | "hoodi";
  /** A Pacaya-only L1 inbox, instead of `network`. @default Taiko Alethia TaikoInbox 0x06a9ab27c7e2255df1815e6cc0168d7755feb19a */
  readonly inboxAddress?: string;
  /** L1 contract emitting ForcedInclusionProcessed. @default Taiko Alethia TaikoWrapper 0x9f9d2fc7abe74c79f86f0d1212107692430eef72 */
  readonly inboxWrapperAddress?: string;
  /**
   * First block per chain when the ingestor has no cursor yet (later runs resume from the cursor).
   * @default - the ingestor's default: block 0, i.e. the whole chain
   */
  readonly startBlocks?: { readonly l1?: number; readonly l2?: number };
  /** Message group partitions per stream. @default 16 */
  readonly partitions?: number;
  /**
   * An existing Data Firehose stream for the processor to write to, its Iceberg destination set up
   * outside Tidemark. When given, the sink of the storage is not used (and not created, when this
   * construct creates the storage).
   * @default - the storage's FirehoseIcebergSink (stream "<namePrefix>-sink", Glue tables, Athena workgroup)
   */
  readonly firehoseStreamName?: string;
  /** Traffic shifting for both functions. @default LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  /** E-mail subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Overrides of DEFAULT_ALARM_THRESHOLDS. @default - the defaults; processor p95 at 2/3 of its timeout */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /** The ingestor polls until this budget is nearly used; must be shorter than the schedule rate. @default 50 s */
  readonly ingestorTimeout?: Duration;
  /** @default 30 s */
  readonly processorTimeout?: Duration;
  /** One writer of the cursor at a time; the lease covers overlaps anyway. @default 1 */
  readonly ingestorReservedConcurrency?: number;
  /** SQS event source maximum concurrency (2–1000). @default 16 */
  readonly processorMaxConcurrency?: number;
  /** Records per processor invocation (FIFO allows at most 10). @default 10 */
  readonly processorBatchSize?: number;
  /** @default Duration.minutes(1) */
  readonly scheduleRate?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default the handlers under lambdas/ */
  readonly entries?: TidemarkEntries;
}

const CLAIM_TIMEOUT_MULTIPLE = 4;

const handlerPath = (fn: string): string =>
  fileURLToPath(new URL(`../lambdas/${fn}/handler.ts`, import.meta.url));

/** Every default of TidemarkProps, in one place. */
export const TIDEMARK_DEFAULTS = {
  namePrefix: "tidemark",
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
  maxReceiveCount: EVENT_QUEUE_DEFAULTS.maxReceiveCount,
  rpcUrlsSecretName: "tidemark/rpc-urls",
  inboxAddress: "0x06a9ab27c7e2255df1815e6cc0168d7755feb19a",
  inboxWrapperAddress: "0x9f9d2fc7abe74c79f86f0d1212107692430eef72",
  partitions: 16,
  deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  ingestorTimeout: Duration.seconds(50),
  processorTimeout: Duration.seconds(30),
  ingestorReservedConcurrency: 1,
  processorMaxConcurrency: 16,
  processorBatchSize: 10,
  scheduleRate: Duration.minutes(1),
  logRetention: logs.RetentionDays.ONE_MONTH,
} as const;

type Resolved = Required<
  Omit<
    TidemarkProps,
    | "storage"
    | "alarmEmail"
    | "visibilityTimeout"
    | "entries"
    | "alarmThresholds"
    | "startBlocks"
    | "network"
    | "tidemarkStage"
  >
> & {
  readonly tidemarkStage?: string;
  /** Undefined when a Pacaya-only inbox was given. */
  readonly network?: "mainnet" | "hoodi";
  /** Both network and an inbox were given (listed as a problem at synth). */
  readonly networkConflict: boolean;
  readonly storage?: TidemarkStorage;
  readonly startBlocks: { readonly l1?: number; readonly l2?: number };
  readonly alarmEmail?: string;
  readonly visibilityTimeout?: Duration;
  readonly entries: Required<TidemarkEntries>;
  readonly alarmThresholds: AlarmThresholds;
};

/** The caller's props merged over TIDEMARK_DEFAULTS (an explicit `undefined` keeps the default). */
export const resolveTidemarkProps = (props: TidemarkProps): Resolved => {
  const given = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as TidemarkProps;
  const processorTimeout = given.processorTimeout ?? TIDEMARK_DEFAULTS.processorTimeout;
  return {
    ...TIDEMARK_DEFAULTS,
    ...given,
    startBlocks: given.startBlocks ?? {},
    network: given.network ?? (given.inboxAddress || given.inboxWrapperAddress ? undefined : "mainnet"),
    networkConflict:
      given.network !== undefined && (given.inboxAddress ?? given.inboxWrapperAddress) !== undefined,
    firehoseStreamName:
      given.firehoseStreamName ?? `${given.namePrefix ?? TIDEMARK_DEFAULTS.namePrefix}-sink`,
    entries: {
      ingestor: given.entries?.ingestor ?? handlerPath("ingestor"),
      processor: given.entries?.processor ?? handlerPath("processor"),
      deployHook: given.entries?.deployHook ?? handlerPath("deployHook"),
      unprovenBatchAge: given.entries?.unprovenBatchAge ?? handlerPath("unprovenBatchAge"),
    },
    alarmThresholds: {
      ...DEFAULT_ALARM_THRESHOLDS,
      processorDurationP95: Duration.millis(Math.round((processorTimeout.toMilliseconds() * 2) / 3)),
      ...Object.fromEntries(Object.entries(given.alarmThresholds ?? {}).filter(([, v]) => v !== undefined)),
    },
  };
};

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const isIntIn = (n: number, min: number, max: number): boolean => Number.isInteger(n) && n >= min && n <= max;

/** Every combination of props that cannot work, in one list. */
export const tidemarkProblems = (
  props: TidemarkProps,
  p: Resolved = resolveTidemarkProps(props),
): string[] => {
  const problems: string[] = [];
  if (props.storage) {
    for (const key of ["visibilityTimeout", "maxReceiveCount", "deletionProtection"] as const) {
      if (props[key] !== undefined) {
        problems.push(
          `${key} is a storage setting, but storage was passed in: set it on the TidemarkStorage`,
        );
      }
    }
    const visibilityS = props.storage.eventQueue.visibilityTimeout.toSeconds();
    const neededS = EVENT_QUEUE_DEFAULTS.visibilityMultiple * p.processorTimeout.toSeconds();
    if (visibilityS < neededS) {
      problems.push(
        `the storage queue's visibility timeout (${visibilityS}s) is below ${EVENT_QUEUE_DEFAULTS.visibilityMultiple} × processorTimeout (${p.processorTimeout.toSeconds()}s) = ${neededS}s`,
      );
    }
  } else {
    problems.push(
      ...eventQueueProblems({
        processorTimeout: p.processorTimeout,
        visibilityTimeout: p.visibilityTimeout,
        maxReceiveCount: p.maxReceiveCount,
      }),
    );
  }
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,39}$/.test(p.namePrefix)) {
    problems.push(`namePrefix "${p.namePrefix}" must be 1–40 letters, digits or '-', starting with a letter`);
  }
  const ingestorS = p.ingestorTimeout.toSeconds();
  if (!isIntIn(ingestorS, 1, 900)) problems.push(`ingestorTimeout is ${ingestorS}s; it must be 1–900s`);
  const rateS = p.scheduleRate.toSeconds();
  if (rateS < 60 || rateS % 60 !== 0) problems.push(`scheduleRate is ${rateS}s; it must be whole minutes`);
  if (ingestorS >= rateS) {
    problems.push(
      `ingestorTimeout (${ingestorS}s) must be shorter than scheduleRate (${rateS}s), or each tick finds the last run still holding the reserved concurrency`,
    );
  }
  if (!isIntIn(p.processorBatchSize, 1, 10)) {
    problems.push(`processorBatchSize is ${p.processorBatchSize}; a FIFO event source takes 1–10 records`);
  }
  if (!isIntIn(p.processorMaxConcurrency, 2, 1000)) {
    problems.push(`processorMaxConcurrency is ${p.processorMaxConcurrency}; SQS event sources allow 2–1000`);
  }
  for (const chain of ["l1", "l2"] as const) {
    const block = p.startBlocks[chain];
    if (block !== undefined && !isIntIn(block, 0, Number.MAX_SAFE_INTEGER)) {
      problems.push(`startBlocks.${chain} is ${block}; it must be a block number ≥ 0`);
    }
  }
  if (!isIntIn(p.partitions, 1, 1000))
    problems.push(`partitions is ${p.partitions}; it must be an integer from 1 to 1000`);
  if (!isIntIn(p.ingestorReservedConcurrency, 1, 1000)) {
    problems.push(
      `ingestorReservedConcurrency is ${p.ingestorReservedConcurrency}; it must be an integer ≥ 1`,
    );
  }
  if (p.networkConflict) problems.push("network names the inboxes: give network or inboxAddress, not both");
  if (p.network !== undefined && p.network !== "mainnet" && p.network !== "hoodi")
    problems.push(`network "${String(p.network)}" is not mainnet or hoodi`);
  for (const key of ["inboxAddress", "inboxWrapperAddress"] as const) {
    if (!ADDRESS.test(p[key])) problems.push(`${key} "${p[key]}" is not a 20-byte hex address`);
  }
  if (p.alarmEmail !== undefined && !EMAIL.test(p.alarmEmail)) {
    problems.push(`alarmEmail "${p.alarmEmail}" is not an e-mail address`);
  }
  if (!/^[\w/+=.@-]{1,512}$/.test(p.rpcUrlsSecretName)) {
    problems.push(`rpcUrlsSecretName "${p.rpcUrlsSecretName}" is not a Secrets Manager secret name`);
  }
  if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(p.firehoseStreamName)) {
    problems.push(`firehoseStreamName "${p.firehoseStreamName}" is not a Firehose stream name`);
  }
  const t = p.alarmThresholds;
  if (!(t.processorErrorRateWarningPercent > 0 && t.processorErrorRateWarningPercent <= 100)) {
    problems.push(`alarmThresholds.processorErrorRateWarningPercent must be in (0, 100]`);
  }
  if (!(t.processorErrorRateCriticalPercent > 0 && t.processorErrorRateCriticalPercent <= 100)) {
    problems.push(`alarmThresholds.processorErrorRateCriticalPercent must be in (0, 100]`);
  }
  if (t.processorErrorRateWarningPercent >= t.processorErrorRateCriticalPercent) {
    problems.push(
      `alarmThresholds.processorErrorRateWarningPercent (${t.processorErrorRateWarningPercent}) must be below processorErrorRateCriticalPercent (${t.processorErrorRateCriticalPercent})`,
    );
  }
  if (t.processorDurationP95.toMilliseconds() >= p.processorTimeout.toMilliseconds()) {
    problems.push(
      `alarmThresholds.processorDurationP95 (${t.processorDurationP95.toSeconds()}s) must be below processorTimeout (${p.processorTimeout.toSeconds()}s)`,
    );
  }
  for (const key of ["noNewL2Block", "noBatchProposed"] as const) {
    const m = t[key].toSeconds() / 60;
    if (!isIntIn(m, 1, 1440)) problems.push(`alarmThresholds.${key} must be whole minutes from 1 to 1440`);
  }
  return problems;
};

/** The functions of one Tidemark deployment. */
export interface TidemarkFunctions {
  readonly ingestor: lambda.Function;
  readonly processor: lambda.Function;
  readonly deployHook: lambda.Function;
  readonly unprovenBatchAge: lambda.Function;
}

/** The `live` aliases everything invokes. */
export interface TidemarkAliases {
  readonly ingestor: lambda.Alias;
  readonly processor: lambda.Alias;
}

/**
 * Tidemark, whole: queue and DLQ, tables and sink bucket (or the `storage` you pass), the
 * ingestor on a schedule and the processor on the queue, each behind a `live` alias that
 * CodeDeploy shifts with a smoke-testing pre-traffic hook and alarm-driven rollback, the alarms
 * on one encrypted topic, and one dashboard. Put it in any stack of your own app.
 */
export class Tidemark extends Construct {
  readonly storage: TidemarkStorage;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly tables: TidemarkTables;
  readonly bucket: s3.IBucket;
  readonly functions: TidemarkFunctions;
  readonly aliases: TidemarkAliases;
  readonly deployments: { readonly ingestor: BlueGreenAlias; readonly processor: BlueGreenAlias };
  readonly schedule: IngestorSchedule;
  readonly topic: sns.ITopic;
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** The Firehose → Iceberg sink, unless `firehoseStreamName` named an external stream. */
  readonly sink?: FirehoseIcebergSink;
  /** Ticks the unproven-batch-age function (OldestUnprovenBatchAgeSeconds) every minute. */
  readonly unprovenBatchAgeSchedule: IngestorSchedule;

  constructor(scope: Construct, id: string, props: TidemarkProps = {}) {
    super(scope, id);
    const p = resolveTidemarkProps(props);
    throwIfInvalid("Tidemark", tidemarkProblems(props, p));

    this.storage =
      p.storage ??
      new TidemarkStorage(this, "Storage", {
        processorTimeout: p.processorTimeout,
        visibilityTimeout: p.visibilityTimeout,
        maxReceiveCount: p.maxReceiveCount,
        removalPolicy: p.removalPolicy,
        deletionProtection: p.deletionProtection,
        namePrefix: p.namePrefix,
        // An external stream replaces the sink this construct would create.
        firehoseSink: props.firehoseStreamName === undefined,
      });
    this.queue = this.storage.queue;
    this.deadLetterQueue = this.storage.deadLetterQueue;
    this.tables = this.storage.tables;
    this.bucket = this.storage.bucket;

    this.sink = props.firehoseStreamName === undefined ? this.storage.firehoseSink : undefined;
    this.functions = this.createFunctions(p);
    const { ingestor, processor, deployHook, unprovenBatchAge } = this.functions;
    const services = ServiceName;

    const application = new codedeploy.LambdaApplication(this, "Deployments");
    const blueGreen = (name: string, fn: lambda.Function) =>
      new BlueGreenAlias(this, name, {
        fn,
        application,
        deploymentConfig: p.deploymentConfig,
        preTrafficHook: deployHook,
      });
    this.deployments = {
      ingestor: blueGreen("IngestorLive", ingestor),
      processor: blueGreen("ProcessorLive", processor),
    };
    this.aliases = { ingestor: this.deployments.ingestor.alias, processor: this.deployments.processor.alias };

    // A tick that waits behind a running ingestor is worthless once the next tick is due: no retries, short age.
    this.aliases.ingestor.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    // No CodeDeploy shift for it: a bad version costs a missing datapoint, which the alarm shows anyway.
    const unprovenBatchAgeLive = new lambda.Alias(this, "UnprovenBatchAgeLive", {
      aliasName: "live",
      version: unprovenBatchAge.currentVersion,
    });
    this.unprovenBatchAgeSchedule = new IngestorSchedule(this, "UnprovenBatchAgeSchedule", {
      target: unprovenBatchAgeLive,
      rate: Duration.minutes(1),
      retryAttempts: 0,
      removalPolicy: p.removalPolicy,
      description: "Starts the Tidemark unproven-batch-age function",
    });
    this.schedule = new IngestorSchedule(this, "Schedule", {
      target: this.aliases.ingestor,
      rate: p.scheduleRate,
      removalPolicy: p.removalPolicy,
    });
    // SqsEventSource's own id, so the mapping is not replaced; not SqsEventSource itself: it grants
    // GetQueueUrl and ChangeMessageVisibility, which the mapping never calls (EventQueue.bindConsumer grants).
    this.aliases.processor.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(this.queue.node)}`, {
      eventSourceArn: this.queue.queueArn,
      batchSize: p.processorBatchSize,
      reportBatchItemFailures: true,
      maxConcurrency: p.processorMaxConcurrency,
    });

    const alarmTopic = new AlarmTopic(this, "AlarmTopic", {
      email: p.alarmEmail,
      keyRemovalPolicy: p.removalPolicy,
    });
    this.topic = alarmTopic.topic;
    const metrics = new PipelineMetrics({
      ingestorService: services.ingestor,
      processorService: services.processor,
      unprovenBatchAgeService: services.unprovenBatchAge,
      ingestor: this.aliases.ingestor,
      processor: this.aliases.processor,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      scheduleDeadLetterQueue: this.schedule.deadLetterQueue,
      tables: { state: this.tables.state, idempotency: this.tables.idempotency },
      stage: p.tidemarkStage,
    });
    this.alarms = new PipelineAlarms(this, "Alarms", {
      metrics,
      thresholds: p.alarmThresholds,
      topic: this.topic,
      namePrefix: p.namePrefix,
    });
    // Notify only: a delivery failure is fixed by a replay, never by rolling a function back.
    const deliveryAlarms = this.sink
      ? new FirehoseDeliveryAlarms(this, "FirehoseDeliveryAlarms", {
          deliveryStreamName: this.sink.deliveryStreamName,
          bucket: this.storage.bucket,
          topic: this.topic,
          namePrefix: p.namePrefix,
        })
      : undefined;
    const operations = new OperationsAlarms(this, "OperationsAlarms", {
      ingestorService: services.ingestor,
      stage: p.tidemarkStage,
      chainMetricsFunction: this.functions.unprovenBatchAge,
      chainMetricsScheduleDeadLetterQueue: this.unprovenBatchAgeSchedule.deadLetterQueue,
      topic: this.topic,
      namePrefix: p.namePrefix,
    });
    for (const alarm of this.alarms.forIngestorDeployment) this.deployments.ingestor.addAlarm(alarm);
    for (const alarm of this.alarms.forProcessorDeployment) this.deployments.processor.addAlarm(alarm);

    this.dashboard = new PipelineDashboard(this, "Dashboard", {
      metrics,
      alarms: [
        ...Object.values(this.alarms.alarms),
        ...(deliveryAlarms ? [deliveryAlarms.failedRows, deliveryAlarms.errorObjects] : []),
        ...operations.all,
      ],
      dashboardName: p.namePrefix,
    }).dashboard;
    this.dashboard.addWidgets(...operations.widgets);
  }

  /** The four functions, each passed the names it reads and granted access to them. */
  private createFunctions(p: Resolved): TidemarkFunctions {
    const services = ServiceName;
    const common = {
      logRetention: p.logRetention,
      logRemovalPolicy: p.removalPolicy,
      tidemarkStage: p.tidemarkStage,
    };

    const ingestor = new PipelineFunction(this, "Ingestor", {
      ...common,
      entry: p.entries.ingestor,
      description:
        "Tidemark ingestor: reads L1/L2 heads, headers and inbox logs; publishes to the FIFO queue",
      serviceName: services.ingestor,
      // The queue's policy admits SendMessage from this role name only (and the redrive role).
      roleName: this.storage.eventQueue.publisherRoleName,
      timeout: p.ingestorTimeout,
      memorySize: 1024,
      reservedConcurrentExecutions: p.ingestorReservedConcurrency,
      environment: {
        ...(p.network
          ? { [IngestorEnv.Network]: p.network }
          : {
              [IngestorEnv.InboxAddress]: p.inboxAddress,
              [IngestorEnv.InboxWrapperAddress]: p.inboxWrapperAddress,
            }),
        [IngestorEnv.Partitions]: String(p.partitions),
        // The lease outlives one run, so a second run cannot take it while the first still polls.
        [IngestorEnv.LeaseSeconds]: String(p.ingestorTimeout.toSeconds() + 15),
        ...(p.startBlocks.l1 === undefined ? {} : { [IngestorEnv.L1StartBlock]: String(p.startBlocks.l1) }),
        ...(p.startBlocks.l2 === undefined ? {} : { [IngestorEnv.L2StartBlock]: String(p.startBlocks.l2) }),
      },
    });
    this.storage.eventQueue.bindPublisher(ingestor.fn);
    // Input the ingestor cannot publish (undecodable logs, …) is dead-lettered with its reason.
    this.storage.eventQueue.bindDeadLetterWriter(ingestor.fn);
    this.storage.pipelineTables.bindState(ingestor.fn, "ingestor");
    bindRpcSecret(this, ingestor.fn, p.rpcUrlsSecretName);

    const processor = new PipelineFunction(this, "Processor", {
      ...common,
      entry: p.entries.processor,
      description:
        "Tidemark processor: validates, claims, applies and completes each queued event exactly once",
      serviceName: services.processor,
      timeout: p.processorTimeout,
      memorySize: 1024,
      environment: {
        // Longer than an invocation (a live claim never expires mid-flight), shorter than the visibility
        // timeout (≥ 6× the timeout), so a crashed worker's records are retaken on their next delivery.
        [ProcessorEnv.ClaimTimeoutSeconds]: String(CLAIM_TIMEOUT_MULTIPLE * p.processorTimeout.toSeconds()),
      },
    });
    this.storage.eventQueue.bindConsumer(processor.fn);
    this.storage.eventQueue.bindDeadLetterWriter(processor.fn, { smokeTest: true });
    this.storage.pipelineTables.bindState(processor.fn, "processor");
    this.storage.pipelineTables.bindIdempotency(processor.fn);
    if (this.sink) this.sink.bindWriter(processor.fn);
    else bindFirehoseSink(processor.fn, p.firehoseStreamName);

    // A gauge needs a clock, not events: a scheduled function reads the unproven-batch index each minute.
    const unprovenBatchAge = new PipelineFunction(this, "UnprovenBatchAge", {
      ...common,
      entry: p.entries.unprovenBatchAge,
      description:
        "Tidemark unproven batch age: age of the oldest proposed batch without proof, every minute",
      serviceName: services.unprovenBatchAge,
      timeout: Duration.seconds(30),
      memorySize: 256,
      // One run at a time is plenty; it never competes with the pipeline for concurrency.
      reservedConcurrentExecutions: 1,
    });
    this.storage.pipelineTables.bindUnprovenIndexReader(unprovenBatchAge.fn);

    // The hook may wait out an ingestor run that holds the reserved concurrency before its smoke test gets in.
    const hookTimeout = Duration.seconds(
      Math.min(900, 2 * Math.max(p.ingestorTimeout.toSeconds(), p.processorTimeout.toSeconds()) + 60),
    );
    const deployHook = new PipelineFunction(this, "DeployHook", {
      ...common,
      // It emits no custom metric, so it reads no stage.
      tidemarkStage: undefined,
      entry: p.entries.deployHook,
      description: "Tidemark pre-traffic hook: smoke-tests a new version and reports to CodeDeploy",
      serviceName: services.deployHook,
      timeout: hookTimeout,
      memorySize: 256,
    });
    return {
      ingestor: ingestor.fn,
      processor: processor.fn,
      deployHook: deployHook.fn,
      unprovenBatchAge: unprovenBatchAge.fn,
    };
  }
}
