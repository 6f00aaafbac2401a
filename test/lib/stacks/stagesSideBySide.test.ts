import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { METRIC_NAMESPACE, STAGE_DIMENSION } from "../../../lambdas/shared/metricNames.js";
import { STAGE_NAMES, type StageName, stageConfigFromContext } from "../../../lib/config/stageConfig.js";
import { addTidemarkStacks } from "../../../lib/stacks/addTidemarkStacks.js";
import { dashboardBody, objectsIn, type PhysicalName, physicalNames } from "../contract/physicalNames.js";
import { cdkJsonContext, FIXTURE_ENTRIES, type Json, type TemplateResource } from "../synthStage.js";

// dev, staging and prod in one app, one account and region: what sharing an account means.
const ENV = { account: "111111111111", region: "eu-west-1" };
const templates: Record<StageName, Record<string, TemplateResource>[]> = { dev: [], staging: [], prod: [] };
const names: PhysicalName[] = [];

beforeAll(() => {
  const app = new App({ context: cdkJsonContext() });
  // The whole app first: a template read synthesizes it, and nothing may be added after.
  const all = STAGE_NAMES.map(
    (stage) =>
      [
        stage,
        addTidemarkStacks(app, stageConfigFromContext({ stage }), { env: ENV, entries: FIXTURE_ENTRIES }),
      ] as const,
  );
  for (const [stage, stacks] of all) {
    for (const stack of [stacks.stateful, stacks.service]) {
      const resources = Template.fromStack(stack).toJSON().Resources;
      templates[stage].push(resources);
      names.push(...physicalNames(stack.stackName, resources));
    }
  }
}, 600_000);

describe("dev, staging and prod in one account and region", () => {
  it("give no two resources the same physical name", () => {
    // Assess
    const byKey = new Map<string, PhysicalName[]>();
    for (const n of names) {
      // Names are unique per type (a queue and a role may share one); alarms and roles are account-wide.
      const key = `${n.type.split(" ")[0]} ${n.name}`;
      byKey.set(key, [...(byKey.get(key) ?? []), n]);
    }
    const collisions = [...byKey.entries()]
      .filter(([, list]) => list.length > 1)
      .map(([key, list]) => `${key}: ${list.map((n) => `${n.stack}/${n.logicalId}`).join(", ")}`);
    expect(collisions).toEqual([]);
  });

  it("name every named resource with its stage", () => {
    // Assess
    const types = new Set(names.map((n) => n.type));
    for (const type of [
      "AWS::SQS::Queue",
      "AWS::IAM::Role",
      "AWS::Glue::Database",
      "AWS::KinesisFirehose::DeliveryStream",
      "AWS::Athena::WorkGroup",
      "AWS::CloudWatch::Alarm",
      "AWS::CloudWatch::Dashboard",
      "AWS::ApiGatewayV2::Api",
      "AWS::Lambda::Function RPC_URLS_SECRET_ID",
    ])
      expect(types).toContain(type);
    const unstaged = names.filter(
      (n) => !STAGE_NAMES.some((s) => n.name.includes(s) && n.stack.includes(`-${s}-`)),
    );
    expect(unstaged).toEqual([]);
  });

  it.each(STAGE_NAMES)(
    "has %s's alarms and dashboard read only its own custom metrics (dimension stage)",
    (stage) => {
      // Assess: every Tidemark metric an alarm reads carries this stage's dimension.
      const resources = templates[stage].flatMap((r) => Object.values(r));
      const alarmMetrics = resources
        .filter((r) => r.Type === "AWS::CloudWatch::Alarm")
        .flatMap((r) => [...objectsIn(r.Properties)])
        .filter((o) => o.Namespace === METRIC_NAMESPACE);
      expect(alarmMetrics.length).toBeGreaterThan(10);
      for (const m of alarmMetrics)
        expect(m.Dimensions as Json[]).toContainEqual({ Name: STAGE_DIMENSION, Value: stage });
      // Dashboard metrics are arrays [namespace, name, dim, value, …, options?].
      const [dashboard] = resources.filter((r) => r.Type === "AWS::CloudWatch::Dashboard");
      const rows = [...objectsIn(dashboardBody(dashboard as TemplateResource))]
        .flatMap((o) => (Array.isArray(o.metrics) ? (o.metrics as Json[][]) : []))
        .filter((row) => row[0] === METRIC_NAMESPACE);
      expect(rows.length).toBeGreaterThan(10);
      for (const row of rows) {
        const pairs = row.slice(2).filter((x) => typeof x === "string");
        expect(pairs[pairs.indexOf(STAGE_DIMENSION) + 1], JSON.stringify(row)).toBe(stage);
      }
    },
  );
});
