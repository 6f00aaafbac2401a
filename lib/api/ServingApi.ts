import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { API_ENV, type ApiSettings, resolveApiSettings } from "../../lambdas/api/apiSettings.js";
import { API_BACKEND_ENV, DASHBOARD_HTML_PATH_ENV } from "../../lambdas/api/createLambdaApp.js";
import { EVENT_LOG_RETENTION_DAYS, STATE_TABLE } from "../../lambdas/shared/environment.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { CANONICAL_VIEWS } from "../../lambdas/sink/canonicalViews.js";
import { TABLE_NAMES } from "../../lambdas/sink/rows.js";
import { BlueGreenAlias } from "../compute/BlueGreenAlias.js";
import { PipelineFunction } from "../compute/PipelineFunction.js";
import { throwIfInvalid } from "../InvalidPropsError.js";
import { kebabAlarmName, notifyingAlarm, threeOfFiveAlarms } from "../monitoring/notifyingAlarm.js";
import { streamMetrics } from "../monitoring/streamMetrics.js";
import { SINK_PREFIXES } from "../sink/FirehoseIcebergSink.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";
import { WebSocketStream } from "./WebSocketStream.js";

/** The Athena side of the Firehose → Iceberg sink the API reads (FirehoseIcebergSink satisfies it). */
export interface ServingApiSink {
  readonly databaseName: string;
  /** The workgroup's name (its `ref`). */
  readonly workGroup: { readonly ref: string };
}

/** The live stream's event log: the state table the processor appends to, and the processor itself. */
export interface ServingApiEventLog {
  readonly stateTable: dynamodb.ITable;
  /** The processor: it is told to append (EVENT_LOG_RETENTION_DAYS) and already writes the state table. */
  readonly writer: lambda.Function;
  /** Days an entry is kept (DynamoDB TTL); a client can resume from any position this recent. @default 7 */
  readonly retentionDays?: number;
}

export interface ServingApiProps {
  /** Serve `/v1/sse/events` from the processor's event log. @default - no stream route */
  readonly eventLog?: ServingApiEventLog;
  readonly sink: ServingApiSink;
  /** The sink bucket: Iceberg data read under `iceberg/`, Athena results written under `athena-results/`. */
  readonly bucket: s3.IBucket;
  /** Alarms notify this topic (the pipeline's AlarmTopic). */
  readonly topic: sns.ITopic;
  /** Widgets are added to this dashboard (the pipeline's). @default - no widgets */
  readonly dashboard?: cloudwatch.Dashboard;
  /** Overrides of the API settings (API_* variables): rate limit, CORS, cache TTL… @default DEFAULT_API_SETTINGS with cacheTtlSeconds 60 */
  readonly settings?: Partial<ApiSettings>;
  /** HTTP API stage throttle, all clients together. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Prefix of alarm and API names. @default "tidemark" */
  readonly namePrefix?: string;
  /** The stage (TIDEMARK_STAGE of the functions, `stage` dimension of the stream metrics). @default - none */
  readonly tidemarkStage?: string;
  /** @default lambdas/api/handler.ts */
  readonly entry?: string;
  /** @default lambdas/api/streamHandler.ts */
  readonly streamEntry?: string;
  /** A stream connection lasts at most this long; clients resume with Last-Event-ID. @default 5 minutes */
  readonly streamTimeout?: Duration;
  /** Athena queries still running after this are stopped (and answered 503). @default 20 s */
  readonly queryTimeout?: Duration;
  /** @default LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
  /** Functions' and access logs' retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Deletion protection of the WebSocket stream's connections table. @default false */
  readonly deletionProtection?: boolean;
  /** 5xx answers above this percent of requests (3 of 5 minutes) alarm and roll back a deployment. @default 5 */
  readonly serverErrorRatePercent?: number;
  /** p95 latency above this for 3 of 5 minutes alarms. @default 5 s */
  readonly latencyP95?: Duration;
}

export const SERVING_API_DEFAULTS = {
  settings: { cacheTtlSeconds: 60 },
  throttle: { rateLimit: 100, burstLimit: 200 },
  namePrefix: "tidemark",
  entry: fileURLToPath(new URL("../../lambdas/api/handler.ts", import.meta.url)),
  streamEntry: fileURLToPath(new URL("../../lambdas/api/streamHandler.ts", import.meta.url)),
  streamTimeout: Duration.minutes(5),
  queryTimeout: Duration.seconds(20),
  logRetention: logs.RetentionDays.ONE_MONTH,
  removalPolicy: RemovalPolicy.RETAIN,
  serverErrorRatePercent: 5,
  latencyP95: Duration.seconds(5),
} as const;

/** Powertools service names of the two functions (the `service` of their logs). */
export const API_SERVICE_NAMES = { api: "api", stream: ServiceName.apiStream } as const;

/** API Gateway waits at most 30 s for an integration: the function must answer (or fail) before. */
const API_FUNCTION_TIMEOUT = Duration.seconds(29);

/** Every combination of props that cannot work, in one list. */
export function servingApiProblems(props: ServingApiProps): string[] {
  const problems: string[] = [];
  let settings: ApiSettings | undefined;
  try {
    settings = resolveApiSettings({ ...SERVING_API_DEFAULTS.settings, ...props.settings });
  } catch (error) {
    problems.push(`settings: ${(error as Error).message}`);
  }
  const { rateLimit, burstLimit } = props.throttle ?? SERVING_API_DEFAULTS.throttle;
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < rateLimit) {
    problems.push(
      `throttle: burstLimit (${burstLimit}) must be a whole number ≥ rateLimit (${rateLimit}) > 0`,
    );
  }
  if (settings !== undefined && settings.rateLimitPerMinute / 60 > rateLimit) {
    problems.push(
      `settings.rateLimitPerMinute (${settings.rateLimitPerMinute}) lets one client use more than the whole stage's rateLimit (${rateLimit}/s)`,
    );
  }
  const queryS = (props.queryTimeout ?? SERVING_API_DEFAULTS.queryTimeout).toSeconds();
  if (queryS >= API_FUNCTION_TIMEOUT.toSeconds()) {
    problems.push(
      `queryTimeout (${queryS}s) must be below the API function's ${API_FUNCTION_TIMEOUT.toSeconds()}s`,
    );
  }
  const streamS = (props.streamTimeout ?? SERVING_API_DEFAULTS.streamTimeout).toSeconds();
  if (streamS < 30 || streamS > 900) problems.push(`streamTimeout (${streamS}s) must be 30–900s`);
  return problems;
}

/**
 * The serving side on AWS. The API function (lambdas/api/handler.ts, its dashboard page built at
 * synth and shipped beside the bundle) behind an HTTP API for `/v1/*`, `/health`, `/ready` and `/`,
 * throttled per stage, CORS from the settings, access-logged; the same app as a streaming function
 * behind a function URL (RESPONSE_STREAM) for the SSE stream. Both behind `live` aliases shifted by
 * CodeDeploy, both reading the Iceberg tables through Athena under least-privilege grants, answers
 * cached per instance for `settings.cacheTtlSeconds`. Alarms on 5xx rate, p95 latency and throttles.
 */
export class ServingApi extends Construct {
  readonly api: PipelineFunction;
  readonly stream: PipelineFunction;
  readonly apiLive: BlueGreenAlias;
  readonly streamLive: BlueGreenAlias;
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly streamUrl: lambda.FunctionUrl;
  readonly settings: ApiSettings;
  /** With an event log: the WebSocket stream (API Gateway WebSocket API, connections table, fan-out). */
  readonly webSocket?: WebSocketStream;
  readonly alarms: {
    readonly serverErrorRate: cloudwatch.Alarm;
    readonly latencyP95: cloudwatch.Alarm;
    readonly throttles: cloudwatch.Alarm;
    readonly streamErrors: cloudwatch.Alarm;
    /** With an event log: nothing appended for 5 minutes while L2 blocks are ingested. */
    readonly streamSilent?: cloudwatch.Alarm;
    /** With an event log: an instance at ≥ 80 % of its connection limit in 3 of 5 minutes. */
    readonly streamConnectionsNearLimit?: cloudwatch.Alarm;
  };

  private readonly tidemarkStage?: string;

  constructor(scope: Construct, id: string, props: ServingApiProps) {
    super(scope, id);
    this.tidemarkStage = props.tidemarkStage;
    throwIfInvalid("ServingApi", servingApiProblems(props));
    const d = SERVING_API_DEFAULTS;
    this.settings = resolveApiSettings({ ...d.settings, ...props.settings });
    const common = {
      logRetention: props.logRetention ?? d.logRetention,
      logRemovalPolicy: props.removalPolicy ?? d.removalPolicy,
      environment: this.environment(props),
    };
    this.api = new PipelineFunction(this, "Api", {
      ...common,
      entry: props.entry ?? d.entry,
      description:
        "Tidemark API: /v1 JSON over the canonical views (Athena), health, readiness, dashboard page",
      serviceName: API_SERVICE_NAMES.api,
      timeout: API_FUNCTION_TIMEOUT,
      memorySize: 1024,
      commandHooks: DASHBOARD_PAGE_HOOK,
    });
    this.stream = new PipelineFunction(this, "Stream", {
      ...common,
      entry: props.streamEntry ?? d.streamEntry,
      description: "Tidemark event stream: the API app with streamed responses (SSE) behind a function URL",
      serviceName: API_SERVICE_NAMES.stream,
      // Only the stream function emits custom metrics (the API function none): only it reads the stage.
      tidemarkStage: props.tidemarkStage,
      timeout: props.streamTimeout ?? d.streamTimeout,
      memorySize: 512,
    });
    for (const fn of [this.api, this.stream]) this.grantQueries(fn.role, props);
    const blueGreen = (name: string, fn: lambda.Function) =>
      new BlueGreenAlias(this, name, { fn, deploymentConfig: props.deploymentConfig });
    this.apiLive = blueGreen("ApiLive", this.api.fn);
    this.streamLive = blueGreen("StreamLive", this.stream.fn);

    this.accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: common.logRetention,
      removalPolicy: common.logRemovalPolicy,
    });
    acknowledgeGuardRule(
      this.accessLogs,
      "cloudwatch_log_group_encrypted_check",
      "CloudWatch Logs encrypts log data at rest by default; access logs hold request lines and source IPs, no secrets.",
    );
    if (common.logRetention < logs.RetentionDays.ONE_YEAR) {
      acknowledgeGuardRule(
        this.accessLogs,
        "cloudwatch_log_group_retention_period_check",
        "Retention is the stage's choice (cost); production keeps logs for a year.",
      );
    }
    ({ httpApi: this.httpApi, stage: this.stage } = this.createHttpApi(props));
    this.streamUrl = this.streamLive.alias.addFunctionUrl({
      // The stream serves public chain data, as the HTTP API does; a browser's EventSource cannot sign requests.
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
      cors: this.corsFor(lambda.HttpMethod.GET),
    });
    acknowledgeGuardRule(
      this.streamLive.alias,
      "lambda_function_url_auth_check",
      "The stream serves public chain data, as the HTTP API does; a browser's EventSource cannot sign requests with SigV4.",
    );
    acknowledgeGuardRule(
      this.streamLive.alias,
      "lambda_function_public_access_prohibited_check",
      "The function URL (auth NONE) is the stream's public endpoint; its permission names the `live` alias and lambda:FunctionUrlAuthType NONE only.",
    );
    if (props.eventLog) {
      this.bindEventLog(props.eventLog);
      this.webSocket = new WebSocketStream(this, "WebSocket", {
        stateTable: props.eventLog.stateTable,
        environment: {
          ...common.environment,
          [EVENT_LOG_RETENTION_DAYS]: String(props.eventLog.retentionDays ?? 7),
        },
        maxConnections: this.settings.sseMaxConnections,
        tidemarkStage: props.tidemarkStage,
        topic: props.topic,
        throttle: props.throttle ?? d.throttle,
        namePrefix: props.namePrefix ?? d.namePrefix,
        logRetention: common.logRetention,
        logRemovalPolicy: common.logRemovalPolicy,
        deletionProtection: props.deletionProtection,
      });
    }
    this.alarms = this.createAlarms(props);
    this.apiLive.addAlarm(this.alarms.serverErrorRate);
    this.streamLive.addAlarm(this.alarms.streamErrors);
    if (props.dashboard) this.addWidgets(props.dashboard, props.eventLog !== undefined);
  }

  /** The HTTP API's URL (`https://…/`), read by the CLI and the dashboard link. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * The stream function reads the event log (GetItem of the head, BatchGetItem of entries: nothing
   * else, on the table only); the processor appends to it. The buffered API function does not serve
   * the stream (API Gateway would hold an event stream until its timeout), so it is not given the log.
   */
  private bindEventLog(log: ServingApiEventLog): void {
    const days = String(log.retentionDays ?? 7);
    log.writer.addEnvironment(EVENT_LOG_RETENTION_DAYS, days);
    this.stream.fn.addEnvironment(EVENT_LOG_RETENTION_DAYS, days);
    this.stream.fn.addEnvironment(STATE_TABLE, log.stateTable.tableName);
    this.stream.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem"],
        resources: [log.stateTable.tableArn],
      }),
    );
  }

  private environment(props: ServingApiProps): Record<string, string> {
    const s = this.settings;
    const settings = Object.fromEntries(
      (Object.keys(API_ENV) as (keyof ApiSettings)[]).map((k) => {
        const v = s[k];
        return [API_ENV[k], Array.isArray(v) ? v.join(",") : String(v)];
      }),
    );
    return {
      ...settings,
      [API_BACKEND_ENV.sink]: "athena",
      [API_BACKEND_ENV.athenaWorkGroup]: props.sink.workGroup.ref,
      [API_BACKEND_ENV.athenaDatabase]: props.sink.databaseName,
      [API_BACKEND_ENV.athenaTimeoutMs]: String(
        (props.queryTimeout ?? SERVING_API_DEFAULTS.queryTimeout).toMilliseconds(),
      ),
      [DASHBOARD_HTML_PATH_ENV]: `/var/task/${DASHBOARD_FILE}`,
    };
  }

  /**
   * Least privilege for reading the sink through Athena: queries in this one workgroup; catalog reads of
   * this database, its tables and canonical views by name; Iceberg objects read; results written and read
   * under the workgroup's own prefix only.
   */
  private grantQueries(role: iam.IRole, props: ServingApiProps): void {
    const stack = Stack.of(this);
    const { bucket } = props;
    const db = props.sink.databaseName;
    const add = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    add(ATHENA_QUERY_ACTIONS, [
      stack.formatArn({ service: "athena", resource: "workgroup", resourceName: props.sink.workGroup.ref }),
    ]);
    add(GLUE_READ_ACTIONS, [
      stack.formatArn({ service: "glue", resource: "catalog" }),
      stack.formatArn({ service: "glue", resource: "database", resourceName: db }),
      ...[...TABLE_NAMES, ...CANONICAL_VIEWS.map((v) => v.view)].map((t) =>
        stack.formatArn({ service: "glue", resource: "table", resourceName: `${db}/${t}` }),
      ),
    ]);
    add(["s3:GetBucketLocation"], [bucket.bucketArn]);
    add(["s3:ListBucket"], [bucket.bucketArn], {
      StringLike: { "s3:prefix": [`${SINK_PREFIXES.iceberg}*`, `${SINK_PREFIXES.athenaResults}*`] },
    });
    add(["s3:GetObject"], [bucket.arnForObjects(`${SINK_PREFIXES.iceberg}*`)]);
    add(ATHENA_RESULT_ACTIONS, [bucket.arnForObjects(`${SINK_PREFIXES.athenaResults}*`)]);
    // The finding names the bucket as this stack sees it: a cross-stack reference exists only once the
    // app is prepared, so the acknowledgment is written then (validation runs after prepare, before synth).
    this.node.addValidation({
      validate: () => {
        const arn = nagName(stack.resolve(bucket.bucketArn));
        for (const prefix of [SINK_PREFIXES.iceberg, SINK_PREFIXES.athenaResults]) {
          Validations.of(role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${arn}/${prefix}*]`,
            reason:
              "One prefix of the sink bucket: Iceberg names its data and metadata files, and Athena its result files, so no narrower key exists.",
          });
        }
        return [];
      },
    });
  }

  private corsFor(...methods: lambda.HttpMethod[]): lambda.FunctionUrlCorsOptions | undefined {
    const origins = this.settings.corsOrigins;
    return origins.length === 0
      ? undefined
      : {
          allowedOrigins: [...origins],
          allowedMethods: methods,
          allowedHeaders: ["Last-Event-ID"],
          maxAge: Duration.minutes(10),
        };
  }

  private createHttpApi(props: ServingApiProps): { httpApi: apigwv2.HttpApi; stage: apigwv2.HttpStage } {
    const origins = this.settings.corsOrigins;
    const httpApi = new apigwv2.HttpApi(this, "HttpApi", {
      apiName: `${props.namePrefix ?? SERVING_API_DEFAULTS.namePrefix}-api`,
      description: "Tidemark API: /v1, /health, /ready and the dashboard page",
      createDefaultStage: false,
      corsPreflight:
        origins.length === 0
          ? undefined
          : {
              allowOrigins: [...origins],
              allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.OPTIONS],
              maxAge: Duration.minutes(10),
            },
    });
    const throttle = props.throttle ?? SERVING_API_DEFAULTS.throttle;
    const stage = new apigwv2.HttpStage(this, "Stage", {
      httpApi,
      stageName: "$default",
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(HTTP_API_ACCESS_LOG)),
      },
    });
    const integration = new HttpLambdaIntegration("Live", this.apiLive.alias);
    for (const path of SERVED_PATHS) {
      const [route] = httpApi.addRoutes({ path, methods: [apigwv2.HttpMethod.GET], integration });
      Validations.of(route as Construct).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "Public, read-only chain data (as an explorer serves it): no authorizer; abuse is bounded by the stage throttle and the per-client rate limit in the function.",
      });
    }
    acknowledgeGuardRule(
      httpApi,
      "api_gw_v2_authorization_type_configured_check",
      "Public, read-only chain data (as an explorer serves it): no authorizer; the stage throttle and the per-client rate limit bound use.",
    );
    acknowledgeGuardRule(
      httpApi,
      "lambda_function_public_access_prohibited_check",
      "apigateway.amazonaws.com may invoke the `live` alias only from this API's routes (SourceArn of its execute-api ARN).",
    );
    return { httpApi, stage };
  }

  private createAlarms(props: ServingApiProps): ServingApi["alarms"] {
    const d = SERVING_API_DEFAULTS;
    const prefix = props.namePrefix ?? d.namePrefix;
    const period = Duration.minutes(1);
    const rate = new cloudwatch.MathExpression({
      expression: "IF(requests > 0, 100 * errors / requests, 0)",
      usingMetrics: {
        errors: this.stage.metricServerError({ statistic: "Sum", period }),
        requests: this.stage.metricCount({ statistic: "SampleCount", period }),
      },
      label: "API 5xx rate (%)",
      period,
    });
    const alarm = threeOfFiveAlarms(this, props.topic, prefix);
    const p95 = props.latencyP95 ?? d.latencyP95;
    return {
      serverErrorRate: alarm(
        "ApiServerErrorRate",
        rate,
        props.serverErrorRatePercent ?? d.serverErrorRatePercent,
        "API 5xx answers above the threshold in 3 of 5 minutes: Athena failing or timing out, or a bad version (rolls back).",
      ),
      latencyP95: alarm(
        "ApiLatencyP95",
        this.stage.metricLatency({ statistic: "p95", period }),
        p95.toMilliseconds(),
        "API p95 latency high in 3 of 5 minutes: cache misses waiting on Athena; check the query timeout and cache TTL.",
      ),
      throttles: alarm(
        "ApiThrottles",
        new cloudwatch.MathExpression({
          expression: "api + stream",
          usingMetrics: {
            api: this.apiLive.alias.metricThrottles({ statistic: "Sum", period }),
            stream: this.streamLive.alias.metricThrottles({ statistic: "Sum", period }),
          },
          label: "API and stream throttles",
          period,
        }),
        1,
        "Lambda throttled the API or stream functions: account concurrency exhausted, or too many open streams.",
      ),
      streamErrors: alarm(
        "ApiStreamErrors",
        this.streamLive.alias.metricErrors({ statistic: "Sum", period }),
        1,
        "The stream function failed invocations in 3 of 5 minutes: a bad version (rolls back) or its backend down.",
      ),
      ...(props.eventLog ? this.createStreamAlarms(prefix, props.topic) : {}),
    };
  }

  /** The stream's two alarms: silent while the chain moves; connections near the per-instance limit. */
  private createStreamAlarms(prefix: string, topic: sns.ITopic) {
    return {
      streamSilent: notifyingAlarm(this, "StreamSilent", topic, {
        alarmName: kebabAlarmName(prefix, "StreamSilent"),
        alarmDescription:
          "L2 blocks were ingested for 5 minutes but the processor appended nothing to the stream's event log: stream clients see nothing. Check the processor's EventsLogged and its errors (DynamoDB transaction conflicts, throttles).",
        metric: streamMetrics(this.tidemarkStage).silentWhileChainMoves(),
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      streamConnectionsNearLimit: notifyingAlarm(this, "StreamConnectionsNearLimit", topic, {
        alarmName: kebabAlarmName(prefix, "StreamConnectionsNearLimit"),
        alarmDescription: `A stream instance held at least 80 % of its ${this.settings.sseMaxConnections} connections (API_SSE_MAX_CONNECTIONS) in 3 of 5 minutes: new clients will get 503. Raise the limit or the stream function's concurrency.`,
        metric: streamMetrics(this.tidemarkStage).connectionsPercentOfLimit(),
        threshold: 80,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }

  private addWidgets(dashboard: cloudwatch.Dashboard, withStream: boolean): void {
    const period = Duration.minutes(1);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: "## API and stream", width: 24, height: 1 }),
      graph(
        "API requests, 4xx, 5xx",
        [this.stage.metricCount({ statistic: "Sum", period })],
        [
          this.stage.metricClientError({ statistic: "Sum", period }),
          this.stage.metricServerError({ statistic: "Sum", period }),
        ],
      ),
      graph("API latency p50 / p95 (ms)", [
        this.stage.metricLatency({ statistic: "p50", period }),
        this.stage.metricLatency({ statistic: "p95", period }),
      ]),
      graph(
        "Functions: concurrency (streams open) and throttles",
        [
          this.apiLive.alias.metric("ConcurrentExecutions", { statistic: "Maximum", period }),
          this.streamLive.alias.metric("ConcurrentExecutions", { statistic: "Maximum", period }),
        ],
        [this.alarms.throttles.metric],
      ),
    );
    if (!withStream) return;
    const m = streamMetrics(this.tidemarkStage);
    dashboard.addWidgets(
      graph("Stream: events logged, messages sent", [m.eventsLogged(), m.messagesSent()]),
      graph("Stream: connections, clients dropped", [m.connections()], [m.clientsDropped()]),
      graph("Stream: delivery lag p99 / max (ms)", [m.deliveryLagP99(), m.deliveryLagMax()]),
    );
    this.webSocket?.addWidgets(dashboard);
  }
}

/** The routes of the HTTP API (the stream is served by the function URL). */
export const SERVED_PATHS = ["/v1/{proxy+}", "/health", "/ready", "/"] as const;

/** Read-only Athena actions: run and read queries, stop one that outlives its budget. */
export const ATHENA_QUERY_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:StopQueryExecution",
];

/** What Athena asks of the caller to plan a query over Glue tables and views. */
export const GLUE_READ_ACTIONS = ["glue:GetDatabase", "glue:GetTable"];

/** Athena writes results with the caller's credentials, and GetQueryResults reads them back. */
export const ATHENA_RESULT_ACTIONS = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
];

const DASHBOARD_FILE = "dashboard.html";

/** One JSON line per request, in HTTP API context variables (the REST API's standard fields do not all exist here). */
const HTTP_API_ACCESS_LOG = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  time: "$context.requestTime",
  method: "$context.httpMethod",
  route: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  bytes: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
};

/** After esbuild: the page built by buildDashboardPage() (through lib/api/writeDashboardPage.ts) beside the handler. */
const DASHBOARD_PAGE_HOOK = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_inputDir: string, outputDir: string): string[] => {
    const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const script = fileURLToPath(new URL("./writeDashboardPage.ts", import.meta.url));
    return [`"${process.execPath}" --import "${loader}" "${script}" "${outputDir}/${DASHBOARD_FILE}"`];
  },
};

/** How cdk-nag prints a resolved ARN in a finding id: `<Logical.Arn>` within the stack, the reference's JSON across stacks. */
function nagName(resolved: unknown): string {
  if (typeof resolved === "string") return resolved;
  const getAtt = (resolved as Record<string, unknown>)["Fn::GetAtt"] as string[] | undefined;
  return getAtt !== undefined ? `<${getAtt.join(".")}>` : JSON.stringify(resolved);
}
