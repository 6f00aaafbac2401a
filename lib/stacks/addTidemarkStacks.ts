import { type App, type Environment, Tags } from "aws-cdk-lib";
import type { StageConfig } from "../config/stageConfig.js";
import type { TidemarkEntries } from "../Tidemark.js";
import { ServiceStack } from "./ServiceStack.js";
import { StatefulStack } from "./StatefulStack.js";

export interface TidemarkStacks {
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
}

export interface AddTidemarkStacksOptions {
  /** @default - environment-agnostic */
  readonly env?: Environment;
  /** @default the handlers under lambdas/ */
  readonly entries?: TidemarkEntries;
}

/** The stacks of one stage: `Tidemark-<stage>-Stateful` and `Tidemark-<stage>-Service`. */
export const addTidemarkStacks = (
  app: App,
  config: StageConfig,
  options: AddTidemarkStacksOptions = {},
): TidemarkStacks => {
  const prefix = `Tidemark-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    config,
    env: options.env,
    description: `Tidemark ${config.stage}: queue, DLQ, tables and sink bucket`,
    terminationProtection: config.deletionProtection,
  });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    config,
    env: options.env,
    storage: stateful.storage,
    entries: options.entries,
    description: `Tidemark ${config.stage}: functions, aliases, deployments, schedule, alarms and dashboard`,
  });
  service.addStackDependency(stateful, "the service reads the queues, tables and bucket");
  for (const stack of [stateful, service]) {
    Tags.of(stack).add("project", "tidemark");
    Tags.of(stack).add("stage", config.stage);
  }
  return { stateful, service };
};
