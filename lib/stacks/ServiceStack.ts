import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { StageConfig } from "../config/stageConfig.js";
import { Tidemark, type TidemarkEntries } from "../Tidemark.js";
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
  }
}
