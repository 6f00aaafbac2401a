import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { CANONICAL_VIEWS } from "../../../lambdas/sink/canonicalViews.js";
import { TABLE_NAMES } from "../../../lambdas/sink/rows.js";
import { INGEST_ROUTES } from "../../../lib/api/IngestApi.js";
import {
  ATHENA_QUERY_ACTIONS,
  ATHENA_RESULT_ACTIONS,
  GLUE_READ_ACTIONS,
  servingApiProblems,
} from "../../../lib/api/ServingApi.js";
import { type Json, type SynthesizedStage, synthStage, type TemplateResource } from "../synthStage.js";

let dev: SynthesizedStage;
let resources: Record<string, TemplateResource>;

// One synthesis for the file (bundling and validation are slow), with cdk-nag and cfn-guard as in `cdk synth`.
beforeAll(() => {
  dev = synthStage("dev", {}, { validate: true });
  resources = dev.service.toJSON().Resources;
}, 400_000);

const ofType = (type: string): [string, TemplateResource][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const fnByService = (service: string): [string, TemplateResource] => {
  const found = ofType("AWS::Lambda::Function").find(
    ([, f]) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found === undefined) throw new Error(`no function for service ${service}`);
  return found;
};
const aliasOf = (fnId: string): string => {
  const found = ofType("AWS::Lambda::Alias").find(([, a]) => a.Properties.FunctionName.Ref === fnId);
  if (found === undefined) throw new Error(`no alias of ${fnId}`);
  return found[0];
};
const stringify = (v: unknown) => JSON.stringify(v);

describe("ServingApi in the service stack", () => {
  it("routes /v1/*, /health, /ready and / of an HTTP API to the API's live alias", () => {
    // Assess
    const [apiFn] = fnByService("api");
    const alias = aliasOf(apiFn);
    expect(resources[alias]?.Properties.Name).toBe("live");
    // The ingest API's routes (IngestApi.test.ts) go to their own function.
    const routes = ofType("AWS::ApiGatewayV2::Route")
      .map(([, r]) => r.Properties.RouteKey)
      .filter((k: string) => !INGEST_ROUTES.some((i) => k === `${i.method} ${i.path}`));
    expect(routes.sort()).toEqual(["GET /", "GET /health", "GET /ready", "GET /v1/{proxy+}"]);
    const integrations = ofType("AWS::ApiGatewayV2::Integration").filter(
      ([, i]) => !JSON.stringify(i.Properties.IntegrationUri).includes("IngestLive"),
    );
    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.[1].Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: { Ref: alias },
    });
    dev.service.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
  });

  it("throttles the stage and writes one JSON access-log line per request", () => {
    // Assess
    const [[, stage]] = ofType("AWS::ApiGatewayV2::Stage") as [[string, TemplateResource]];
    expect(stage.Properties).toMatchObject({
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const logGroup = stage.Properties.AccessLogSettings.DestinationArn["Fn::GetAtt"][0];
    expect(resources[logGroup]?.Type).toBe("AWS::Logs::LogGroup");
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({
      status: "$context.status",
      route: "$context.routeKey",
      latencyMs: "$context.responseLatency",
    });
  });

  it("streams through a function URL on the stream function's live alias, in RESPONSE_STREAM mode", () => {
    // Assess
    const [streamFn, stream] = fnByService("apiStream");
    expect(stream.Properties.Handler).toBe("index.handler");
    expect(stream.Properties.Timeout).toBe(300);
    const [[, url]] = ofType("AWS::Lambda::Url") as [[string, TemplateResource]];
    expect(url.Properties).toEqual({
      AuthType: "NONE",
      InvokeMode: "RESPONSE_STREAM",
      Qualifier: "live",
      TargetFunctionArn: { "Fn::GetAtt": [streamFn, "Arn"] },
    });
    expect(resources[aliasOf(streamFn)]?.DeletionPolicy).toBeUndefined();
  });

  it("reads Athena with the settings the handler validates, the page beside the bundle", () => {
    // Assess
    const [, api] = fnByService("api");
    const env = api.Properties.Environment.Variables;
    expect(env).toMatchObject({
      SINK: "athena",
      ATHENA_DATABASE: "tidemark_dev",
      ATHENA_QUERY_TIMEOUT_MS: "20000",
      API_CACHE_TTL_SECONDS: "60",
      API_RATE_LIMIT_PER_MINUTE: "600",
      DASHBOARD_HTML_PATH: "/var/task/dashboard.html",
    });
    expect(stringify(env.ATHENA_WORKGROUP)).toContain("WorkGroup");
    expect(api.Properties.Timeout).toBe(29);
    const assetHash = api.Properties.Code.S3Key.replace(/\.zip$/, "");
    const page = join(dev.app.outdir, `asset.${assetHash}`, "dashboard.html");
    expect(existsSync(page)).toBe(true);
    const html = readFileSync(page, "utf8");
    expect(html).toContain("<title>Tidemark</title>");
    expect(html).toContain("__TIDEMARK_DASHBOARD_CONFIG__"); // filled with the poll interval when served
  });

  it.each(["api", "apiStream"])(
    "grants the %s role exactly the Athena, Glue and S3 actions it needs",
    (service) => {
      // Assess
      const [fnId, fn] = fnByService(service);
      const role = fn.Properties.Role["Fn::GetAtt"][0];
      const [[, policy]] = ofType("AWS::IAM::Policy").filter(
        ([, p]) => p.Properties.Roles[0].Ref === role,
      ) as [[string, TemplateResource]];
      const statements: Json[] = policy.Properties.PolicyDocument.Statement;
      const byActions = (actions: readonly string[]) =>
        statements.find((s) => stringify([s.Action].flat().sort()) === stringify([...actions].sort()));
      // The stream function also reads the processor-fed event log (GetItem/BatchGetItem on the state table).
      expect(statements).toHaveLength(service === "apiStream" ? 8 : 7);
      if (service === "apiStream") {
        expect(byActions(["dynamodb:BatchGetItem", "dynamodb:GetItem"])).toBeDefined();
      }
      expect(stringify(byActions(ATHENA_QUERY_ACTIONS)?.Resource)).toMatch(/:workgroup\/.*WorkGroup/);
      const glue = byActions(GLUE_READ_ACTIONS)?.Resource as Json[];
      const names = glue.map((r) => stringify(r).match(/:(catalog|database\/\w+|table\/\w+\/\w+)"/)?.[1]);
      expect(names.sort()).toEqual(
        [
          "catalog",
          "database/tidemark_dev",
          ...[...TABLE_NAMES, ...CANONICAL_VIEWS.map((v) => v.view)].map((t) => `table/tidemark_dev/${t}`),
        ].sort(),
      );
      expect(stringify(byActions(["s3:GetObject"])?.Resource)).toContain('"/iceberg/*"');
      expect(stringify(byActions(ATHENA_RESULT_ACTIONS)?.Resource)).toContain('"/athena-results/*"');
      expect(byActions(["s3:ListBucket"])?.Condition).toEqual({
        StringLike: { "s3:prefix": ["iceberg/*", "athena-results/*"] },
      });
      expect(stringify(statements)).not.toMatch(/"Resource":"\*"|s3:\*|athena:\*|glue:\*/);
      expect(stringify(statements)).not.toContain(fnId); // nothing granted on the function itself
    },
  );

  it("alarms on 5xx rate, p95 latency, throttles and stream errors, to the alarm topic, gating the deployments", () => {
    // Assess
    const alarms = Object.fromEntries(
      ofType("AWS::CloudWatch::Alarm").map(([id, a]) => [a.Properties.AlarmName, { id, ...a.Properties }]),
    );
    const topic = ofType("AWS::SNS::Topic")[0]?.[0];
    for (const name of [
      "tidemark-dev-api-server-error-rate",
      "tidemark-dev-api-latency-p95",
      "tidemark-dev-api-throttles",
      "tidemark-dev-api-stream-errors",
    ]) {
      expect(alarms[name]?.AlarmActions).toEqual([{ Ref: topic }]);
    }
    expect(alarms["tidemark-dev-api-server-error-rate"]?.Threshold).toBe(5);
    expect(stringify(alarms["tidemark-dev-api-server-error-rate"]?.Metrics)).toContain("100 * errors / requests");
    expect(alarms["tidemark-dev-api-latency-p95"]).toMatchObject({ ExtendedStatistic: "p95", Threshold: 5000 });
    const groups = ofType("AWS::CodeDeploy::DeploymentGroup").map(([, g]) => stringify(g.Properties));
    expect(groups.filter((g) => g.includes(alarms["tidemark-dev-api-server-error-rate"]?.id))).toHaveLength(1);
    expect(groups.filter((g) => g.includes(alarms["tidemark-dev-api-stream-errors"]?.id))).toHaveLength(1);
  });

  it("adds its widgets to the pipeline's dashboard and outputs the URLs the CLI reads", () => {
    // Assess
    const [[, dashboard]] = ofType("AWS::CloudWatch::Dashboard") as [[string, TemplateResource]];
    expect(stringify(dashboard.Properties.DashboardBody)).toContain("API latency p50 / p95 (ms)");
    const outputs = dev.service.toJSON().Outputs;
    expect(stringify(outputs.ApiUrl.Value)).toContain(".execute-api.");
    const [[urlId]] = ofType("AWS::Lambda::Url") as [[string, TemplateResource]];
    expect(outputs.StreamUrl.Value).toEqual({
      "Fn::Join": ["", [{ "Fn::GetAtt": [urlId, "FunctionUrl"] }, "v1/sse/events"]],
    });
    expect(outputs.ApiFunctionName.Value).toEqual({ Ref: fnByService("api")[0] });
  });

  it("is nag- and guard-clean: every finding acknowledged with its reason", () => {
    // Assess
    const report = JSON.parse(readFileSync(join(dev.app.outdir, "validation-report.json"), "utf8")) as {
      pluginReports: { conclusion: string; violations: unknown[] }[];
    };
    for (const plugin of report.pluginReports) expect(plugin.violations).toEqual([]);
  });
});

describe("servingApiProblems", () => {
  const sinkStub = { databaseName: "tidemark", workGroup: { ref: "tidemark" } };
  it("lists every conflicting prop at once", () => {
    // Act
    const problems = servingApiProblems({
      sink: sinkStub,
      bucket: undefined as never,
      topic: undefined as never,
      settings: { rateLimitPerMinute: 60_000 },
      throttle: { rateLimit: 50, burstLimit: 10 },
      queryTimeout: Duration.seconds(40),
      streamTimeout: Duration.minutes(20),
    });
    // Assess
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(
      /burstLimit[\s\S]*rateLimitPerMinute[\s\S]*queryTimeout[\s\S]*streamTimeout/,
    );
  });

  it("names a bad API setting", () => {
    // Act
    const problems = servingApiProblems({
      sink: sinkStub,
      bucket: undefined as never,
      topic: undefined as never,
      settings: { cacheTtlSeconds: -1 },
    });
    // Assess
    expect(problems).toEqual([expect.stringContaining("cacheTtlSeconds")]);
  });
});
