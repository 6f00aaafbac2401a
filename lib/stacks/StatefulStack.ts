import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { StageConfig } from "../config/stageConfig.js";
import { TIDEMARK_DEFAULTS } from "../Tidemark.js";
import { TidemarkStorage } from "../TidemarkStorage.js";

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The data of one stage (queues, tables, sink bucket), apart so compute can be replaced freely. */
export class StatefulStack extends Stack {
  readonly storage: TidemarkStorage;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.storage = new TidemarkStorage(this, "Storage", {
      processorTimeout: TIDEMARK_DEFAULTS.processorTimeout,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
    });
  }
}
