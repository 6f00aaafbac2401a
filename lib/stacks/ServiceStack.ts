import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { CfnEventSourceMapping } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { IngestApi } from "../api/IngestApi.js";
import { ServingApi } from "../api/ServingApi.js";
import type { StageConfig } from "../config/stageConfig.js";
import { TIDEMARK_DEFAULTS, Tidemark, type TidemarkEntries } from "../Tidemark.js";
import type { TidemarkStorage } from "../TidemarkStorage.js";

export interface ServiceStackProps extends StackProps {
  readonly config: StageConfig;
  readonly storage: TidemarkStorage;
  /** @default the handlers under lambdas/ */
  readonly entries?: TidemarkEntries;
}

/**
 * Compute and monitoring of one stage. They share a stack because the alarms gate the
 * deployment groups while reading the functions' metrics: split apart, the two stacks
 * would reference each other.
 */
export class ServiceStack extends Stack {
  readonly tidemark: Tidemark;
  /** The API, stream and dashboard page over the stage's Iceberg tables (absent with an external Firehose stream). */
  readonly api?: ServingApi;
  /** POST /v1/events and the rest of the ingest API, on the serving API's routes (present with it). */
  readonly ingestApi?: IngestApi;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.tidemark = new Tidemark(this, "Tidemark", {
      storage: props.storage,
      removalPolicy: config.removalPolicy,
      deploymentConfig: config.deploymentConfig,
      alarmThresholds: config.alarmThresholds,
      alarmEmail: config.alarmEmail,
      rpcUrlsSecretName: config.rpcUrlsSecretName,
      logRetention: config.logRetention,
      processorMaxConcurrency: config.processorMaxConcurrency,
      startBlocks: config.startBlocks,
      entries: props.entries,
    });
    const t = this.tidemark;
    if (t.sink) {
      this.api = new ServingApi(this, "Api", {
        sink: t.sink,
        bucket: t.bucket,
        topic: t.topic,
        dashboard: t.dashboard,
        deploymentConfig: config.deploymentConfig,
        logRetention: config.logRetention,
        removalPolicy: config.removalPolicy,
      });
      this.ingestApi = new IngestApi(this, "IngestApi", {
        httpApi: this.api.httpApi,
        stage: this.api.stage,
        queue: t.queue,
        processor: t.functions.processor,
        topic: t.topic,
        dashboard: t.dashboard,
        anchor: config.ingestAnchor,
        deploymentConfig: config.deploymentConfig,
        logRetention: config.logRetention,
        removalPolicy: config.removalPolicy,
      });
    }
    const mapping = t.aliases.processor.node
      .findAll()
      .find((c): c is CfnEventSourceMapping => c instanceof CfnEventSourceMapping);
    // Read by `tidemark --stage <stage>` from `cdk deploy --outputs-file`: the CLI never guesses a name.
    const outputs: Record<string, string | undefined> = {
      IngestorFunctionName: t.functions.ingestor.functionName,
      ProcessorFunctionName: t.functions.processor.functionName,
      LiveAliasName: t.aliases.processor.aliasName,
      ProcessorEventSourceMappingId: mapping?.ref,
      DeploymentApplicationName: t.deployments.processor.deploymentGroup.application.applicationName,
      IngestorDeploymentGroupName: t.deployments.ingestor.deploymentGroup.deploymentGroupName,
      ProcessorDeploymentGroupName: t.deployments.processor.deploymentGroup.deploymentGroupName,
      AlarmNamePrefix: `${TIDEMARK_DEFAULTS.namePrefix}-`,
      DashboardName: t.dashboard.dashboardName,
      ScheduleName: t.schedule.schedule.scheduleName,
      RpcUrlsSecretName: config.rpcUrlsSecretName,
      ApiUrl: this.api?.url,
      StreamUrl: this.api === undefined ? undefined : `${this.api.streamUrl.url}v1/sse/events`,
      ApiFunctionName: this.api?.api.fn.functionName,
      IngestTableName: this.ingestApi?.table.tableName,
      IngestPayloadBucketName: this.ingestApi?.payloadBucket.bucketName,
      IngestSigningKeySecretArn: this.ingestApi?.signingKey.secretArn,
      IngestFunctionName: this.ingestApi?.ingest.fn.functionName,
    };
    for (const [key, value] of Object.entries(outputs)) {
      if (value !== undefined) new CfnOutput(this, key, { value });
    }
  }
}
