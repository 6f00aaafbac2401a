import { Logger } from "@aws-lambda-powertools/logger";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { ServiceName } from "../shared/serviceNames.js";
import { traced, withTracing } from "../shared/tracing.js";
import {
  type LifecycleHookEvent,
  type PreTrafficHookOutcome,
  runPreTrafficHook,
} from "./runPreTrafficHook.js";

// Leaves time to report the status after the last smoke attempt.
const REPORT_RESERVE_MS = 10_000;

// Module scope: clients are built once per container.
const logger = new Logger({ serviceName: ServiceName.deployHook });
const codeDeploy = traced(new CodeDeployClient({}));
const lambda = traced(new LambdaClient({}));

export const handler = withTracing(
  async (event: LifecycleHookEvent, context: Context): Promise<PreTrafficHookOutcome> =>
    runPreTrafficHook({
      event,
      codeDeploy,
      lambda,
      logger,
      deadline: Date.now() + context.getRemainingTimeInMillis() - REPORT_RESERVE_MS,
    }),
);
