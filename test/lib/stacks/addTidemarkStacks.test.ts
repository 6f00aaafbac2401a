import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import { STAGE_NAMES, type StageName } from "../../../lib/config/stageConfig.js";
import { RUNBOOK_ALARMS, type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";

type Resource = TemplateResource;

const stages = {} as Record<StageName, SynthesizedStage>;

// Bundling and template validation are slow: each stage is synthesized once for the whole file,
// with cdk-nag and cfn-guard registered as in `cdk synth` (an unacknowledged finding throws here).
// Each stage bundles six functions and builds the dashboard page: allow minutes on a shared 2-core runner.
beforeAll(() => {
  for (const stage of STAGE_NAMES) stages[stage] = synthStage(stage, {}, { validate: true });
}, 480_000);

const ofType = (stage: StageName, type: string): Resource[] =>
  [stages[stage].stateful, stages[stage].service].flatMap((t) =>
    Object.values(t.toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === type),
  );

describe("addTidemarkStacks", () => {
  it("names the two stacks of a stage after it", () => {
    // Assess
    expect(stages.prod.stacks.stateful.stackName).toBe("Tidemark-prod-Stateful");
    expect(stages.prod.stacks.service.stackName).toBe("Tidemark-prod-Service");
    expect(stages.prod.stacks.service.dependencies).toContain(stages.prod.stacks.stateful);
  });

  it.each([
    ["dev", "CodeDeployDefault.LambdaAllAtOnce"],
    ["staging", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"],
    ["prod", "CodeDeployDefault.LambdaCanary10Percent5Minutes"],
  ] as const)("shifts %s traffic with %s", (stage, config) => {
    // Assess
    const groups = ofType(stage, "AWS::CodeDeploy::DeploymentGroup");
    expect(groups.map((g) => g.Properties.DeploymentConfigName)).toEqual(Array(5).fill(config)); // ingestor, processor, API, stream, ingest API
  });

  it.each([
    ["dev", "Delete", false, false],
    ["staging", "Retain", false, false],
    ["prod", "Retain", true, true],
  ] as const)(
    "removes %s data with policy %s, deletion protection %s",
    (stage, policy, protection, termination) => {
      // Assess
      const stateful = [
        ...ofType(stage, "AWS::DynamoDB::Table"),
        ...ofType(stage, "AWS::SQS::Queue"),
        ...ofType(stage, "AWS::S3::Bucket"),
        ...ofType(stage, "AWS::Logs::LogGroup"),
        ...ofType(stage, "AWS::Glue::Database"),
        ...ofType(stage, "AWS::Glue::Table"),
      ];
      // Queues: events, DLQ and one tick DLQ per schedule; logs: 4 functions, the Firehose delivery,
      // and ServingApi's API and stream functions and access logs; one Glue table per sink table; the
      // ingest API's table, payload bucket, maintenance tick DLQ and its two functions' logs; the
      // WebSocket stream's connections table, sweep tick DLQ, two functions' logs and access logs.
      expect(stateful.length).toBe(2 + 4 + 2 + 5 + 3 + 1 + TABLE_NAMES.length + 5 + 5);
      for (const resource of stateful) expect(resource.DeletionPolicy).toBe(policy);
      for (const table of ofType(stage, "AWS::DynamoDB::Table")) {
        expect(table.Properties.DeletionProtectionEnabled).toBe(protection);
      }
      expect(stages[stage].stacks.stateful.terminationProtection).toBe(termination);
    },
  );

  it.each(STAGE_NAMES)("reads the %s RPC secret by its stage name", (stage) => {
    // Assess
    const ingestor = ofType(stage, "AWS::Lambda::Function").find(
      (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === "ingestor",
    );
    expect(ingestor?.Properties.Environment.Variables.RPC_URLS_SECRET_ID).toBe(`tidemark/${stage}/rpc-urls`);
  });

  it.each(STAGE_NAMES)("synthesizes %s with no unacknowledged cfn-guard or cdk-nag finding", (stage) => {
    // Assess
    const report = JSON.parse(
      readFileSync(join(stages[stage].app.outdir, "validation-report.json"), "utf8"),
    ) as { pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[] };
    // A plugin with nothing to report (cdk-nag filters its own acknowledgments) may be left out of the file.
    expect(report.pluginReports.map((r) => r.pluginName)).toContain("cdk-validator-cfnguard");
    for (const plugin of report.pluginReports) {
      expect([plugin.pluginName, plugin.conclusion, plugin.violations]).toEqual([
        plugin.pluginName,
        "success",
        [],
      ]);
    }
  });

  it.each(STAGE_NAMES)("passes cdk-nag AwsSolutions for %s with every acknowledgment justified", (stage) => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stages[stage].app);

    // Assess
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
    const acknowledgments = stages[stage].app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgments) {
      expect(id).toMatch(/^((Annotation::)?AwsSolutions-|cdk-validator-cfnguard::)/i);
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});

describe("addTidemarkStacks per stage", () => {
  it.each([
    ["dev", 7],
    ["staging", 14],
    ["prod", 365],
  ] as const)("keeps the %s functions' logs for %i days", (stage, days) => {
    // Assess: one log group per function, each with the stage's retention
    const logGroups = Object.values(
      stages[stage].service.toJSON().Resources as Record<string, Resource>,
    ).filter((r) => r.Type === "AWS::Logs::LogGroup");
    // The pipeline's 4 functions, the API and stream functions, the HTTP API's access log, and the
    // ingest API's request and maintenance functions, the WebSocket stream's two functions and access log.
    expect(logGroups.map((g) => g.Properties.RetentionInDays)).toEqual(Array(12).fill(days));
  });

  it.each([
    ["dev", 2],
    ["staging", 4],
    ["prod", 16],
  ] as const)("lets the %s processor take at most %i batches at once", (stage, concurrency) => {
    // Assess
    // The WebSocket fan-out's mapping reads the state table's stream, not the queue.
    const [mapping, ...others] = ofType(stage, "AWS::Lambda::EventSourceMapping").filter(
      (m) => !JSON.stringify(m.Properties.EventSourceArn).includes("StreamArn"),
    );
    expect(others).toEqual([]);
    expect(mapping?.Properties).toMatchObject({
      ScalingConfig: { MaximumConcurrency: concurrency },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it.each(STAGE_NAMES)(
    "deploys the same pipeline in %s: functions, live aliases, the runbook's alarms, one dashboard",
    (stage) => {
      // Assess: what an operator looks for in the console
      const services = ofType(stage, "AWS::Lambda::Function").map(
        (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME,
      );
      expect(services.sort()).toEqual(
        [
          "api",
          "apiStream",
          "apiWebSocket",
          "apiWebSocketRoutes",
          "deployHook",
          "ingestApi",
          "ingestMaintenance",
          "ingestor",
          "processor",
          "unprovenBatchAge",
        ].sort(),
      );
      expect(ofType(stage, "AWS::Lambda::Alias").map((a) => a.Properties.Name)).toEqual(
        Array(8).fill("live"),
      );
      expect(ofType(stage, "AWS::CodeDeploy::DeploymentGroup")).toHaveLength(5);
      // The alarms docs/README's table explains, each going to the one topic.
      const alarms = ofType(stage, "AWS::CloudWatch::Alarm");
      expect(
        alarms.map((a) => String(a.Properties.AlarmName).replace(`tidemark-${stage}-`, "")).sort(),
      ).toEqual([...RUNBOOK_ALARMS].sort());
      const [topic] = ofType(stage, "AWS::SNS::Topic");
      expect(topic).toBeDefined();
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(ofType(stage, "AWS::CloudWatch::Dashboard")).toHaveLength(1);
      expect(ofType(stage, "AWS::Scheduler::Schedule")).toHaveLength(4);
      // The stateful side: FIFO queue and DLQ, the two tables, the Firehose stream into 9 Iceberg tables.
      const queues = ofType(stage, "AWS::SQS::Queue").filter((q) => q.Properties.FifoQueue === true);
      expect(queues.map((q) => q.Properties.QueueName).sort()).toEqual([
        `tidemark-${stage}-events-dlq.fifo`,
        `tidemark-${stage}-events.fifo`,
      ]);
      expect(ofType(stage, "AWS::DynamoDB::Table")).toHaveLength(4); // state, idempotency, ingest, WebSocket connections
      expect(ofType(stage, "AWS::KinesisFirehose::DeliveryStream")).toHaveLength(1);
      expect(ofType(stage, "AWS::Glue::Table")).toHaveLength(TABLE_NAMES.length);
    },
  );
});
