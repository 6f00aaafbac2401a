import { type Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import {
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  TIDEMARK_STAGE,
} from "../../lambdas/shared/environment.js";
import { METRIC_NAMESPACE } from "../../lambdas/shared/metricNames.js";
import { acknowledgeGuardRule } from "../tidemarkValidations.js";
import { LAMBDA_BUNDLE_ALIASES, LAMBDA_BUNDLE_OUTPUT, LAMBDA_EXTERNAL_MODULES } from "./lambdaBundling.js";

export interface PipelineFunctionProps {
  /** Path of the handler module (it exports `handler`). */
  readonly entry: string;
  readonly description: string;
  /** Powertools service name: the `service` of every log line and the `service` metric dimension. */
  readonly serviceName: string;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - no reservation (the account's unreserved pool) */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the function is removed. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  readonly environment?: Record<string, string>;
  /** Commands run around esbuild (e.g. files written beside the bundle). @default - none */
  readonly commandHooks?: nodejs.ICommandHooks;
  /** The stage, set as TIDEMARK_STAGE: the functions' custom metrics carry it as the `stage` dimension. @default - none */
  readonly tidemarkStage?: string;
  /** A fixed role name, for a resource policy that must name the role without referencing it. @default - generated */
  readonly roleName?: string;
}

export const PIPELINE_FUNCTION_DEFAULTS = {
  memorySize: 512,
  logRetention: logs.RetentionDays.ONE_MONTH,
  logRemovalPolicy: RemovalPolicy.RETAIN,
} as const;

/** Runtime, architecture and bundling shared by every Tidemark function. */
export const PIPELINE_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * A Tidemark Lambda function: nodejs22.x on arm64, bundled by the local esbuild (never Docker)
 * as minified CommonJS with source maps, logging JSON into its own log group with explicit
 * retention, traced with X-Ray (Active), under a role that may write to that log group and send
 * traces, and nothing else until granted.
 */
export class PipelineFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const d = PIPELINE_FUNCTION_DEFAULTS;
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? d.logRetention,
      removalPolicy: props.logRemovalPolicy ?? d.logRemovalPolicy,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new iam.Role(this, "Role", {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${props.serviceName}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: PIPELINE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? d.memorySize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      // X-Ray: the handlers trace with Powertools Tracer (lambdas/shared/tracing.ts); Active samples here.
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        [POWERTOOLS_SERVICE_NAME]: props.serviceName,
        [POWERTOOLS_METRICS_NAMESPACE]: METRIC_NAMESPACE,
        ...(props.tidemarkStage === undefined ? {} : { [TIDEMARK_STAGE]: props.tidemarkStage }),
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        ...LAMBDA_BUNDLE_OUTPUT,
        mainFields: [...LAMBDA_BUNDLE_OUTPUT.mainFields],
        // The SDK is bundled so the versions in package-lock.json are the ones that run.
        bundleAwsSDK: true,
        externalModules: [...LAMBDA_EXTERNAL_MODULES],
        commandHooks: props.commandHooks,
        esbuildArgs: {
          "--alias": Object.entries(LAMBDA_BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
        },
      },
    });
    acknowledgeGuardRule(
      this.fn,
      "lambda_inside_vpc_check",
      "The functions reach only public RPC endpoints and AWS APIs; a VPC would add NAT cost and cold-start latency and protect nothing.",
    );
    acknowledgeGuardRule(
      this.logGroup,
      "cloudwatch_log_group_encrypted_check",
      "CloudWatch Logs encrypts log data at rest by default; the handlers never log secrets (RPC URLs are redacted).",
    );
    const retention = props.logRetention ?? d.logRetention;
    if (retention < logs.RetentionDays.ONE_YEAR) {
      acknowledgeGuardRule(
        this.logGroup,
        "cloudwatch_log_group_retention_period_check",
        `Retention of ${retention} days is the caller's choice for this stage (cost); production keeps logs for a year.`,
      );
    }
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Active tracing's xray:PutTraceSegments and xray:PutTelemetryRecords: X-Ray has no resource-level permissions, so the resource is `*` (granted by CDK with tracing).",
    });
    Validations.of(this.fn).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "nodejs22.x is the runtime the handlers are built and tested for (Node 20/22 toolchain); move to nodejs24.x together with the toolchain.",
    });
  }
}
