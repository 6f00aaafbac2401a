import { fileURLToPath } from "node:url";
import { Duration, type RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { EVENT_LOG_KEYS } from "../../lambdas/api/stream/createDynamoEventLog.js";
import { CONNECTIONS_TABLE_KEY } from "../../lambdas/api/stream/webSocketConnections.js";
import { STATE_TABLE, WebSocketEnv } from "../../lambdas/shared/environment.js";
import { ServiceName } from "../../lambdas/shared/serviceNames.js";
import { StateTable, TTL_ATTRIBUTE } from "../../lambdas/shared/tables.js";
import { IngestorSchedule } from "../compute/IngestorSchedule.js";
import { PipelineFunction } from "../compute/PipelineFunction.js";
import { threeOfFiveAlarms } from "../monitoring/notifyingAlarm.js";
import { deliveryMetrics } from "../monitoring/streamMetrics.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";

export interface WebSocketStreamProps {
  /** The state table holding the event log; it must have a stream (PipelineTables gives it KEYS_ONLY). */
  readonly stateTable: dynamodb.ITable;
  /** The API settings' variables and EVENT_LOG_RETENTION_DAYS: the same the SSE function gets. */
  readonly environment: Record<string, string>;
  /** The stage: TIDEMARK_STAGE of the fan-out and the `stage` dimension of its metrics. @default - none */
  readonly tidemarkStage?: string;
  /** The whole API's connection limit (API_SSE_MAX_CONNECTIONS): `$connect` refuses past it. */
  readonly maxConnections: number;
  readonly topic: sns.ITopic;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly namePrefix: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** The connections table's, as the stage's other tables. @default false */
  readonly deletionProtection?: boolean;
  /** A pass slower than this is cut; connections it did not reach are served by the next one. @default 60 s */
  readonly fanOutTimeout?: Duration;
  /** Delivery lag p99 above this in 3 of 5 minutes alarms. @default 5 s */
  readonly lagP99?: Duration;
}

/** The stage name: clients connect to `wss://{api}.execute-api.{region}.amazonaws.com/v1`. */
export const WEBSOCKET_STAGE = "v1";

export const WEBSOCKET_ENTRIES = {
  routes: fileURLToPath(new URL("../../lambdas/api/webSocketHandler.ts", import.meta.url)),
  fanOut: fileURLToPath(new URL("../../lambdas/api/webSocketFanOutHandler.ts", import.meta.url)),
} as const;

/** The LeadingKeys pattern of the event log's items in the state table (createDynamoEventLog's EVENT_LOG_KEYS). */
export const EVENT_LOG_ITEMS = "log#*";

/** The only management calls the fan-out makes: post a frame, close a connection. */
const MANAGE_METHODS = ["POST", "DELETE"] as const;

/**
 * `/v1/ws/events` on AWS: an API Gateway WebSocket API whose `$connect` and `$disconnect` run the
 * routes function (webSocketRoutes.ts: same query, errors and limit as the local server) over a
 * small connections table with TTL, and a fan-out function (fanOutWebSocket.ts) that posts the event
 * log to every connection through the management API. The fan-out is woken by the state table's
 * stream, filtered to the log's head item (one item: one shard, in order, nothing else of the table
 * invokes it), and every minute by a schedule; reserved concurrency 1 makes it each connection's one writer.
 */
export class WebSocketStream extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly connections: dynamodb.Table;
  readonly routes: PipelineFunction;
  readonly fanOut: PipelineFunction;
  /** The version the stream mapping and the sweep invoke (an alias: no `:*` grant on the function). */
  readonly fanOutLive: lambda.Alias;
  readonly schedule: IngestorSchedule;
  readonly alarms: {
    readonly connectionsNearLimit: cloudwatch.Alarm;
    readonly deliveryLag: cloudwatch.Alarm;
    readonly fanOutErrors: cloudwatch.Alarm;
  };

  private readonly tidemarkStage?: string;

  constructor(scope: Construct, id: string, props: WebSocketStreamProps) {
    super(scope, id);
    this.tidemarkStage = props.tidemarkStage;
    const streamArn = props.stateTable.tableStreamArn;
    if (streamArn === undefined) {
      throw new Error("WebSocketStream: the state table has no stream; give it StreamViewType.KEYS_ONLY");
    }
    this.connections = new dynamodb.Table(this, "Connections", {
      partitionKey: { name: CONNECTIONS_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The stage's policy, as its other tables (items expire within hours either way).
      removalPolicy: props.logRemovalPolicy,
      deletionProtection: props.deletionProtection ?? false,
    });
    const common = { logRetention: props.logRetention, logRemovalPolicy: props.logRemovalPolicy };
    const environment = {
      ...props.environment,
      [STATE_TABLE]: props.stateTable.tableName,
      [WebSocketEnv.ConnectionsTable]: this.connections.tableName,
    };
    this.routes = new PipelineFunction(this, "Routes", {
      ...common,
      entry: WEBSOCKET_ENTRIES.routes,
      description: "Tidemark WebSocket stream: $connect (filters, resume point, limit) and $disconnect",
      serviceName: ServiceName.apiWebSocketRoutes,
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment,
    });
    this.api = new apigwv2.WebSocketApi(this, "Api", {
      apiName: `${props.namePrefix}-ws`,
      description: "Tidemark live event stream (WebSocket): the event log pushed to each connection",
      connectRouteOptions: { integration: new WebSocketLambdaIntegration("Connect", this.routes.fn) },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration("Disconnect", this.routes.fn) },
    });
    this.stage = this.createStage(props);
    this.fanOut = new PipelineFunction(this, "FanOut", {
      ...common,
      entry: WEBSOCKET_ENTRIES.fanOut,
      description: "Tidemark WebSocket stream: pushes new event-log entries to every connection, in order",
      serviceName: ServiceName.apiWebSocket,
      timeout: props.fanOutTimeout ?? Duration.seconds(60),
      memorySize: 512,
      reservedConcurrentExecutions: 1,
      // It emits the stream metrics: they carry the stage, as the stage's alarms read them.
      tidemarkStage: props.tidemarkStage,
      environment: { ...environment, [WebSocketEnv.CallbackUrl]: this.stage.callbackUrl },
    });
    this.grant(props.stateTable, streamArn);
    this.fanOutLive = new lambda.Alias(this, "FanOutLive", {
      aliasName: "live",
      version: this.fanOut.fn.currentVersion,
    });
    new lambda.EventSourceMapping(this, "HeadMoved", {
      target: this.fanOutLive,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 100,
      // A failed pass is not retried at length: the next head change or tick serves the same positions.
      retryAttempts: 2,
      filters: [
        lambda.FilterCriteria.filter({
          dynamodb: {
            Keys: { [StateTable.partitionKey]: { S: lambda.FilterRule.isEqual(EVENT_LOG_KEYS.head) } },
          },
        }),
      ],
    });
    this.schedule = new IngestorSchedule(this, "Sweep", {
      target: this.fanOutLive,
      rate: Duration.minutes(1),
      description:
        "Tidemark WebSocket fan-out sweep: catch-up on a quiet chain, heartbeats, lost connections",
      removalPolicy: props.logRemovalPolicy,
    });
    this.alarms = this.createAlarms(props);
  }

  /** The URL clients connect to (`wss://…/v1`), output for the CLI. */
  get url(): string {
    return this.stage.url;
  }

  private createStage(props: WebSocketStreamProps): apigwv2.WebSocketStage {
    const accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    acknowledgeGuardRule(
      accessLogs,
      "cloudwatch_log_group_encrypted_check",
      "CloudWatch Logs encrypts log data at rest by default; access logs hold connection ids and source IPs, no secrets.",
    );
    if (props.logRetention < logs.RetentionDays.ONE_YEAR) {
      acknowledgeGuardRule(
        accessLogs,
        "cloudwatch_log_group_retention_period_check",
        "Retention is the stage's choice (cost); production keeps logs for a year.",
      );
    }
    const stage = new apigwv2.WebSocketStage(this, "Stage", {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(WEBSOCKET_ACCESS_LOG)),
      },
    });
    const publicReason =
      "Public, read-only chain data, as the HTTP API and the SSE stream serve it (a browser's WebSocket cannot sign): no authorizer; the stage throttle and the connection limit in $connect bound use.";
    for (const route of this.api.node.findAll().filter((c) => c instanceof apigwv2.WebSocketRoute)) {
      Validations.of(route).acknowledge({ id: "AwsSolutions-APIG4", reason: publicReason });
    }
    acknowledgeGuardRule(this.api, "api_gw_v2_authorization_type_configured_check", publicReason);
    acknowledgeGuardRule(
      this.api,
      "lambda_function_public_access_prohibited_check",
      "apigateway.amazonaws.com may invoke the routes function only from this API's $connect and $disconnect (SourceArn).",
    );
    return stage;
  }

  /**
   * Least privilege: the routes function reads the log's head and puts, deletes and counts
   * connections; the fan-out reads the log, lists, advances and removes connections, reads the
   * state table's stream, and may POST and DELETE on this stage's `@connections` only.
   */
  private grant(stateTable: dynamodb.ITable, streamArn: string): void {
    const stack = Stack.of(this);
    const table = this.connections.tableArn;
    const add = (
      fn: PipelineFunction,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) => fn.fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    // The event log's items only (`log#head`, `log#<seq>`): nothing else of the state table.
    const logOnly = { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [EVENT_LOG_ITEMS] } };
    add(this.routes, ["dynamodb:GetItem"], [stateTable.tableArn], logOnly);
    add(this.routes, ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"], [table]);
    add(this.fanOut, ["dynamodb:GetItem", "dynamodb:BatchGetItem"], [stateTable.tableArn], logOnly);
    add(this.fanOut, ["dynamodb:Scan", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], [table]);
    add(
      this.fanOut,
      ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
      [streamArn],
    );
    const connectionsArn = (method: string) =>
      stack.formatArn({
        service: "execute-api",
        resource: this.api.apiId,
        resourceName: `${WEBSOCKET_STAGE}/${method}/@connections/*`,
      });
    add(this.fanOut, ["execute-api:ManageConnections"], MANAGE_METHODS.map(connectionsArn));
    const apiId = stack.getLogicalId(this.api.node.defaultChild as apigwv2.CfnApi);
    for (const method of MANAGE_METHODS) {
      Validations.of(this.fanOut.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${WEBSOCKET_STAGE}/${method}/@connections/*]`,
        reason:
          "Connection ids are made by API Gateway at $connect: this API's stage and the two methods the fan-out uses are as narrow as the ARN gets.",
      });
    }
  }

  private createAlarms(props: WebSocketStreamProps): WebSocketStream["alarms"] {
    const m = deliveryMetrics(ServiceName.apiWebSocket, this.tidemarkStage);
    const alarm = threeOfFiveAlarms(this, props.topic, props.namePrefix);
    return {
      connectionsNearLimit: alarm(
        "WebSocketConnectionsNearLimit",
        m.connectionsPercentOfLimit(),
        80,
        `The WebSocket API held at least 80 % of its ${props.maxConnections} connections (API_SSE_MAX_CONNECTIONS) in 3 of 5 minutes: new clients will be refused with 503.`,
      ),
      deliveryLag: alarm(
        "WebSocketDeliveryLag",
        m.deliveryLagP99(),
        (props.lagP99 ?? Duration.seconds(5)).toMilliseconds(),
        "WebSocket delivery lag p99 (appended to the log → posted) high in 3 of 5 minutes: the fan-out is behind (too many connections for one pass, API Gateway throttling); check its duration and errors.",
      ),
      fanOutErrors: alarm(
        "WebSocketFanOutErrors",
        this.fanOut.fn.metricErrors({ statistic: "Sum", period: Duration.minutes(1) }),
        1,
        "The WebSocket fan-out failed passes in 3 of 5 minutes: WebSocket clients receive nothing new. Check its logs (DynamoDB, the management API, credentials).",
      ),
    };
  }

  /** The stream row of the pipeline's dashboard for the WebSocket side. */
  addWidgets(dashboard: cloudwatch.Dashboard): void {
    const m = deliveryMetrics(ServiceName.apiWebSocket, this.tidemarkStage);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    dashboard.addWidgets(
      graph("WebSocket: connections, clients dropped", [m.connections()], [m.clientsDropped()]),
      graph("WebSocket: messages sent", [m.messagesSent()], [this.alarms.fanOutErrors.metric]),
      graph("WebSocket: delivery lag p99 / max (ms)", [m.deliveryLagP99(), m.deliveryLagMax()]),
    );
  }
}

/** One JSON line per connect, disconnect and message, in WebSocket API context variables. */
const WEBSOCKET_ACCESS_LOG = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  time: "$context.requestTime",
  route: "$context.routeKey",
  eventType: "$context.eventType",
  connectionId: "$context.connectionId",
  status: "$context.status",
  integrationError: "$context.integrationErrorMessage",
};
