import { beforeAll, describe, expect, it } from "vitest";
import { INGEST_ENV } from "../../../lambdas/ingestApi/ingestSettings.js";
import { ingestTableDefinition } from "../../../lambdas/ingestApi/ingestTable.js";
import { IngestApiEnv, ProcessorEnv } from "../../../lambdas/shared/environment.js";
import { INGEST_ROUTES, type IngestApiProps, ingestApiProblems } from "../../../lib/api/IngestApi.js";
import { type Json, type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";

const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
let dev: SynthesizedStage;
let resources: Record<string, TemplateResource>;

// One synthesis, with anchoring configured, cdk-nag and cfn-guard on as in `cdk synth`.
beforeAll(() => {
  dev = synthStage(
    "dev",
    { anchorSecretName: "tidemark/dev/anchor", anchorRegistry: REGISTRY },
    { validate: true },
  );
  resources = dev.service.toJSON().Resources;
}, 400_000);

const ofType = (type: string): [string, TemplateResource][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const fnByService = (service: string): [string, TemplateResource] => {
  const found = ofType("AWS::Lambda::Function").find(
    ([, f]) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === service,
  );
  if (!found) throw new Error(`no function for service ${service}`);
  return found;
};
const policyOf = (fnId: string): Json[] => {
  const role = resources[fnId]?.Properties.Role["Fn::GetAtt"][0];
  return ofType("AWS::IAM::Policy")
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
};
const actionsOf = (statements: Json[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe("IngestApi in the service stack", () => {
  it("declares the ingest table the code provisions locally: keys, both indexes, TTL, PITR", () => {
    const local = ingestTableDefinition("x");
    const [[, table]] = ofType("AWS::DynamoDB::Table").filter(([id]) => id.includes("IngestApi")) as [
      [string, TemplateResource],
    ];
    expect(table.Properties.KeySchema).toEqual(local.KeySchema);
    const indexes = table.Properties.GlobalSecondaryIndexes.map((i: Json) => [i.IndexName, i.KeySchema]);
    expect(indexes).toEqual(local.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema]));
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: "ttl", Enabled: true });
  });

  it("routes every ingest path to the ingest function's live alias, POST /v1/events with its own throttle", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties.RouteKey);
    for (const { method, path } of INGEST_ROUTES) expect(routes).toContain(`${method} ${path}`);
    const [ingestFn] = fnByService("ingestApi");
    const integration = ofType("AWS::ApiGatewayV2::Integration").find(([, i]) =>
      JSON.stringify(i.Properties.IntegrationUri).includes("IngestLive"),
    );
    expect(integration).toBeDefined();
    expect(ingestFn).toContain("IngestApi");
    const [[, stage]] = ofType("AWS::ApiGatewayV2::Stage") as [[string, TemplateResource]];
    expect(stage.Properties.RouteSettings["POST /v1/events"]).toEqual({
      ThrottlingRateLimit: 500,
      ThrottlingBurstLimit: 1000,
    });
  });

  it("sets every setting the functions read, on both functions, and the processor's payload bucket", () => {
    for (const service of ["ingestApi", "ingestMaintenance"]) {
      const vars = fnByService(service)[1].Properties.Environment.Variables;
      for (const name of [...Object.values(INGEST_ENV), ...Object.values(IngestApiEnv)]) {
        // The maintenance builds no S3 client: given the bucket, its cold start would fail.
        if (service === "ingestMaintenance" && name === IngestApiEnv.PayloadBucket) {
          expect(vars, `${service} ${name}`).not.toHaveProperty(name);
        } else expect(vars, `${service} ${name}`).toHaveProperty(name);
      }
      expect(vars[IngestApiEnv.AnchorRegistry]).toBe(REGISTRY);
    }
    const processorVars = fnByService("processor")[1].Properties.Environment.Variables;
    expect(processorVars).toHaveProperty(ProcessorEnv.PayloadBucket);
  });

  it("grants the request function its table, queue, payload prefix and key, and nothing to delete", () => {
    const [ingestFn] = fnByService("ingestApi");
    const actions = actionsOf(policyOf(ingestFn));
    for (const a of [
      "dynamodb:TransactWriteItems",
      "dynamodb:DeleteItem",
      "dynamodb:Scan",
      "s3:DeleteObject*",
      // What the code never calls (test/lib/contract/permissionsContract.test.ts compares the rest).
      "dynamodb:ConditionCheckItem",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "secretsmanager:DescribeSecret",
      "s3:GetObject",
    ]) {
      expect(actions).not.toContain(a);
    }
    expect(actions).toEqual(
      expect.arrayContaining([
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
      ]),
    );
    const s3 = policyOf(ingestFn).filter((s) => actionsOf([s]).some((a) => a.startsWith("s3:")));
    expect(JSON.stringify(s3.map((s) => s.Resource))).toContain("/payloads/*");
    const [maintenanceFn] = fnByService("ingestMaintenance");
    expect(JSON.stringify(policyOf(maintenanceFn))).toContain("tidemark/dev/anchor");
    expect(actionsOf(policyOf(maintenanceFn)).some((a) => a.startsWith("s3:"))).toBe(false);
  });

  it("runs the maintenance every minute and alarms on rejections, repeats, errors and anchoring lag", () => {
    const schedules = ofType("AWS::Scheduler::Schedule").map(([, s]) => s.Properties);
    expect(schedules.find((s) => String(s.Description).includes("ingest API maintenance"))).toMatchObject({
      ScheduleExpression: "rate(1 minute)",
    });
    const alarms = Object.fromEntries(
      ofType("AWS::CloudWatch::Alarm").map(([, a]) => [a.Properties.AlarmName, a.Properties]),
    );
    expect(alarms["tidemark-dev-ingest-api-rejection-burst"]).toMatchObject({
      Threshold: 100,
      MetricName: "ApiEventsRejected",
    });
    expect(JSON.stringify(alarms["tidemark-dev-ingest-api-idempotent-hit-rate"]?.Metrics)).toContain(
      "ApiIdempotentHits",
    );
    expect(alarms["tidemark-dev-ingest-api-idempotent-hit-rate"]?.Threshold).toBe(10);
    // 2 × (commit period 60 s + maintenance rate 60 s).
    expect(alarms["tidemark-dev-ingest-api-anchoring-lag"]).toMatchObject({
      Threshold: 240,
      MetricName: "ApiAnchoringLagSeconds",
      Dimensions: [
        { Name: "service", Value: "ingestMaintenance" },
        { Name: "stage", Value: "dev" },
      ],
    });
    expect(alarms["tidemark-dev-ingest-api-ingest-errors"]).toBeDefined();
    expect(alarms["tidemark-dev-ingest-api-maintenance-errors"]).toBeDefined();
    // Answered 5xx: the function succeeds on them, so its Errors metric cannot see them.
    expect(alarms["tidemark-dev-ingest-api-server-errors"]).toMatchObject({
      MetricName: "ApiServerErrors",
      Statistic: "Sum",
      Period: 60,
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Dimensions: [
        { Name: "service", Value: "ingestApi" },
        { Name: "stage", Value: "dev" },
      ],
    });
    // ... and a deployment of the ingest function that answers them rolls back.
    const rollbackAlarms = ofType("AWS::CodeDeploy::DeploymentGroup").flatMap(([, g]) =>
      (g.Properties.AlarmConfiguration?.Alarms ?? []).map((a: { Name: unknown }) => JSON.stringify(a.Name)),
    );
    expect(rollbackAlarms.some((n: string) => n.includes("IngestApiServerErrors"))).toBe(true);
  });

  it("outputs the names the CLI reads (tidemark keys|schema --stage)", () => {
    const outputs = Object.keys(dev.service.toJSON().Outputs ?? {});
    expect(outputs).toEqual(
      expect.arrayContaining(["IngestTableName", "IngestPayloadBucketName", "IngestSigningKeySecretArn"]),
    );
  });

  it("lists every bad prop at once", () => {
    const problems = ingestApiProblems({
      throttle: { rateLimit: 10, burstLimit: 5 },
      anchor: { secretName: "s", registryAddress: "nope" },
      settings: { maxEventsPerBatch: 0 },
      serverErrorsPerMinute: 0,
    } as unknown as IngestApiProps);
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/serverErrorsPerMinute/);
    expect(problems.join("\n")).toMatch(/MAX_EVENTS_PER_BATCH/);
    expect(problems.join("\n")).toMatch(/anchor.registryAddress/);
    expect(problems.join("\n")).toMatch(/throttle/);
  });
});
