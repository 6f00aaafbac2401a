import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { type StageName, stageConfigFromContext } from "../../lib/config/stageConfig.js";
import { addTidemarkStacks, type TidemarkStacks } from "../../lib/stacks/addTidemarkStacks.js";
import { addTidemarkValidations } from "../../lib/tidemarkValidations.js";

/** The context of cdk.json, so tests synthesize with the same feature flags as `cdk synth`. */
export const cdkJsonContext = (): Record<string, unknown> =>
  JSON.parse(readFileSync(fileURLToPath(new URL("../../cdk.json", import.meta.url)), "utf8")).context;

/** A tiny handler stands in for the real ones: the templates do not depend on handler code. */
export const FIXTURE_HANDLER = fileURLToPath(new URL("./fixtures/handler.ts", import.meta.url));
export const FIXTURE_ENTRIES = {
  ingestor: FIXTURE_HANDLER,
  processor: FIXTURE_HANDLER,
  deployHook: FIXTURE_HANDLER,
  unprovenBatchAge: FIXTURE_HANDLER,
};

export interface SynthesizedStage {
  readonly app: App;
  readonly stacks: TidemarkStacks;
  readonly stateful: Template;
  readonly service: Template;
}

/**
 * Synthesizes one stage the way bin/tidemark.ts does (bundling is slow: call once per file).
 * With `validate`, cdk-nag and cfn-guard run as in `cdk synth` and any finding throws here.
 */
export const synthStage = (
  stage: StageName,
  context: Record<string, unknown> = {},
  options: { validate?: boolean } = {},
): SynthesizedStage => {
  const app = new App({ context: { ...cdkJsonContext(), stage, ...context } });
  const config = stageConfigFromContext({
    stage,
    alarmEmail: context.alarmEmail,
    anchorSecretName: context.anchorSecretName,
    anchorRegistry: context.anchorRegistry,
  });
  const stacks = addTidemarkStacks(app, config, { entries: FIXTURE_ENTRIES });
  if (options.validate) {
    addTidemarkValidations(app);
    app.synth();
  }
  return {
    app,
    stacks,
    stateful: Template.fromStack(stacks.stateful),
    service: Template.fromStack(stacks.service),
  };
};

/** The alarms the README's runbook table explains, without the `tidemark-<stage>-` prefix. */
export const RUNBOOK_ALARMS = [
  "batch-not-proven",
  "dlq-not-empty",
  "idempotency-table-throttles",
  "ingest-lag-l1",
  "ingest-lag-l2",
  "ingestor-errors",
  "ingestor-rejected-input",
  "no-batch-proposed",
  "no-new-l2-block",
  "oldest-message-age",
  "processor-dead-lettering",
  "processor-duration-p95",
  "processor-error-rate-critical",
  "processor-error-rate-warning",
  "processor-throttles",
  "schedule-dlq-not-empty",
  "state-table-throttles",
  // OperationsAlarms, beside the pipeline's
  "inbox-logs-skipped",
  "poll-failures-l1",
  "poll-failures-l2",
  "chain-metrics-errors",
  "chain-metrics-dlq-not-empty",
  // FirehoseDeliveryAlarms, beside the pipeline's
  "firehose-delivery-failed",
  "firehose-error-objects",
  // ServingApi, composed into the same service stack
  "api-server-error-rate",
  "api-latency-p95",
  "api-throttles",
  "api-stream-errors",
  "stream-silent",
  "stream-connections-near-limit",
  // WebSocketStream, inside ServingApi
  "web-socket-connections-near-limit",
  "web-socket-delivery-lag",
  "web-socket-fan-out-errors",
  // IngestApi, composed into the same service stack (plus ingest-api-anchoring-lag when anchoring is configured)
  "ingest-api-rejection-burst",
  "ingest-api-idempotent-hit-rate",
  "ingest-api-ingest-errors",
  "ingest-api-maintenance-errors",
  "ingest-api-server-errors",
] as const;

/** Template JSON has no static type; the tests navigate it by property path. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON, read by path in assertions.
export type Json = any;

/** One resource of a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, Json>;
  readonly DeletionPolicy?: string;
  readonly UpdatePolicy?: Json;
}
